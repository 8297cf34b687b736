import { randomUUID } from 'node:crypto';
import { decodeRecord, matchesType } from '../pubsub/delivery.js';
import { validateTopicName } from '../pubsub/limits.js';
import { handleWithRetry, type ErrorCallback, type RetryOptions } from '../pubsub/retry.js';
import type { ConsumeOptions, Consumer, MessageHandler } from '../pubsub/types.js';
import type { BrokerService } from '../memory/service.js';
import { CommitTracker, deliveredRecords } from './records.js';

export interface LocalConsumerOptions {
  /** Without a group the consumer is a group of its own, as an app with a unique group id is. */
  group?: string;
  retry: RetryOptions;
  onError: ErrorCallback;
}

const POLL = { maxRecords: 500, maxBytes: 4 * 1024 * 1024, waitMs: 5_000 };

/** A group member per subscribed topic; handlers run in order per partition, commits follow success. */
export class LocalConsumer implements Consumer {
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly group: string;

  constructor(
    private readonly service: () => Promise<BrokerService>,
    private readonly options: LocalConsumerOptions,
  ) {
    this.group = options.group ?? `zps-anonymous-${randomUUID()}`;
  }

  async consume<T>(
    topic: string,
    handler: MessageHandler<T>,
    messageType?: string,
    options: ConsumeOptions = {},
  ): Promise<void> {
    validateTopicName(topic);
    if (this.abort.signal.aborted) throw new Error('consumer is closed');
    const service = await this.service();
    const member = await service.join(this.group, topic, { kind: options.fromBeginning ? 'beginning' : 'end' });
    this.loops.push(this.run(service, member, topic, handler as MessageHandler, messageType));
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async run(
    service: BrokerService,
    member: string,
    topic: string,
    handler: MessageHandler,
    messageType: string | undefined,
  ): Promise<void> {
    const commits = new CommitTracker();
    const closing = () => this.abort.signal.aborted;
    try {
      while (!closing()) {
        const result = await service.poll(member, commits.take(), { ...POLL, signal: this.abort.signal });
        deliver: for (const record of deliveredRecords(topic, result.batches)) {
          if (matchesType(record, messageType)) {
            const { message, meta } = decodeRecord(record);
            const settled = await handleWithRetry(
              () => handler(message, meta),
              (error) => this.options.onError(error, message, meta),
              this.options.retry,
              closing,
            );
            if (!settled) break deliver;
          }
          commits.mark(record.partition, record.offset);
        }
        if (result.revoked.length > 0) await service.release(member, commits.take(), result.revoked);
      }
    } catch (error) {
      // The broker went away (daemon stopped): nothing left to commit to; report once and stop.
      if (!closing()) this.options.onError(error, undefined, { topic, partition: -1, offset: -1, timestamp: 0, key: null, headers: {} });
      return;
    }
    await service.leave(member, commits.take()).catch(() => {});
  }
}
