/**
 * Long polls on the memory broker (src/memory/long-poll.ts) as the daemon serves them: a poll
 * answers at the cause that ends it, in the same tick, whatever the client sends next.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../src/memory/broker.js';
import { InProcessService } from '../../src/memory/service.js';
import { outgoingBatch } from '../../src/records/record-batch.js';

const outgoing = (value: string) => outgoingBatch([{ key: null, value: Buffer.from(JSON.stringify(value)), headers: [] }]);

describe('long polls', () => {
  it('a member whose waiting poll is aborted and who then leaves in the same tick gets its poll answered, not "unknown group member"', async () => {
    const service = new InProcessService(new MemoryBroker());
    await service.createTopic('t', 2);
    const member = await service.join('g', 't', { kind: 'end' });
    await service.poll(member, [], { maxRecords: 100, maxBytes: 1 << 20, waitMs: 0 }); // takes its assignment
    const aborting = new AbortController();
    const waiting = service.poll(member, [], { maxRecords: 100, maxBytes: 1 << 20, waitMs: 30_000, signal: aborting.signal });
    // as the daemon reads a client's Ctrl-C: the poll's cancel and the leave in one chunk
    aborting.abort();
    await service.leave(member, []);
    await expect(waiting).resolves.toMatchObject({ batches: [] });
  });

  it('a poll waiting on an empty partition answers as soon as a record arrives', async () => {
    const service = new InProcessService(new MemoryBroker());
    await service.createTopic('t', 1);
    const waiting = service.fetch('t', [[0, 0]], { maxRecords: 100, maxBytes: 1 << 20, waitMs: 30_000 });
    const started = Date.now();
    await service.produce('t', outgoing('hello'));
    const batches = await waiting;
    expect(batches.flatMap((b) => b.records.map((r) => r.value?.toString()))).toEqual(['"hello"']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
