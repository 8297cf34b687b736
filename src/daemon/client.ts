import { connect, type Socket } from 'node:net';
import type { BrokerStats } from '../memory/broker.js';
import type { BrokerService, Position } from '../memory/service.js';
import type { PartitionRecords, WaitOptions } from '../pubsub/driver.js';
import { ZpsError } from '../pubsub/errors.js';
import type { AckRun, RecordBatch } from '../records/record-batch.js';
import type { StartOffset, TopicChange } from '../pubsub/types.js';
import { VERSION } from '../version.js';
import { FrameDecoder, PROTOCOL_VERSION, encodeFrame, type EncodedBatch, type Hello, type Operation, type Operations, type Reply } from './protocol.js';
import { WireRecords, encodeRecords } from '../wire/daemon-records.js';

function decodeBatches(batches: EncodedBatch[]): PartitionRecords[] {
  return batches.map(({ topic, partition, records }) => ({ partition, records: new WireRecords(records).toRecords(topic, partition) }));
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One connection to the daemon; implements BrokerService by forwarding each call as a request. */
export class DaemonClient implements BrokerService {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private closedError: ZpsError | undefined;
  hello!: Hello;

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
  ) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let replies: unknown[];
      try {
        replies = decoder.push(chunk);
      } catch (error) {
        this.fail(new ZpsError(`the local daemon sent a malformed reply: ${(error as Error).message}`));
        socket.destroy();
        return;
      }
      for (const reply of replies as Reply[]) this.settle(reply);
    });
    socket.on('error', () => {}); // 'close' follows and reports
    socket.on('close', () =>
      this.fail(
        new ZpsError(`lost the connection to the local daemon at ${socketPath}`, {
          code: 'unavailable',
          retriable: true,
          hint: `see its log: ${socketPath}.log`,
        }),
      ),
    );
  }

  /** Connects and says hello; rejects with the errno error when nothing listens there. */
  static async connect(socketPath: string): Promise<DaemonClient> {
    const socket = connect(socketPath);
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', reject);
    });
    const client = new DaemonClient(socket, socketPath);
    // written now, sent as the connection opens: not a turn of the event loop after it
    const hello = client.call('hello', [{ protocol: PROTOCOL_VERSION, version: VERSION }]);
    hello.catch(() => {}); // when nothing listens, `connected` says why
    await connected;
    client.hello = await hello;
    return client;
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  get compatible(): boolean {
    return this.hello.protocol === PROTOCOL_VERSION;
  }

  call<Op extends Operation>(op: Op, args: Operations[Op]['args'], signal?: AbortSignal): Promise<Operations[Op]['result']> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const reply = new Promise<Operations[Op]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    if (this.pending.size === 1) this.socket.ref();
    this.socket.write(encodeFrame({ id, op, args }));
    if (signal) {
      const cancel = () => {
        if (this.pending.has(id) && !this.closedError) this.socket.write(encodeFrame({ id: 0, op: 'cancel', args: [id] }));
      };
      if (signal.aborted) cancel();
      else {
        signal.addEventListener('abort', cancel, { once: true });
        void reply.finally(() => signal.removeEventListener('abort', cancel)).catch(() => {});
      }
    }
    return reply;
  }

  produce(topic: string, records: RecordBatch): Promise<AckRun[]> {
    return this.call('produce', [topic, encodeRecords(records)]);
  }

  async createTopic(topic: string, partitions: number) {
    await this.call('createTopic', [topic, partitions]);
  }

  partitionOffsets(topic: string, atTime?: number) {
    return this.call('partitionOffsets', atTime === undefined ? [topic] : [topic, atTime]);
  }

  async fetch(topic: string, positions: Position[], { signal, ...wait }: WaitOptions): Promise<PartitionRecords[]> {
    return decodeBatches(await this.call('fetch', [topic, positions, wait], signal));
  }

  listTopics() {
    return this.call('listTopics', []);
  }

  committed(group: string, topic: string) {
    return this.call('committed', [group, topic]);
  }

  listGroups() {
    return this.call('listGroups', []);
  }

  describeGroup(group: string) {
    return this.call('describeGroup', [group]);
  }

  async reset(topics?: string[]) {
    await this.call('reset', topics === undefined ? [] : [topics]);
  }

  async setCommittedOffsets(group: string, topic: string, offsets: Position[]) {
    await this.call('setCommittedOffsets', [group, topic, offsets]);
  }

  async deleteGroup(group: string) {
    await this.call('deleteGroup', [group]);
  }

  async deleteGroupOffsets(group: string, topic: string) {
    await this.call('deleteGroupOffsets', [group, topic]);
  }

  cluster() {
    return this.call('cluster', []);
  }

  // administration: topics
  createTopicWith(topic: string, partitions: number, configs: Record<string, string>) {
    return this.call('createTopicWith', [topic, partitions, configs]);
  }

  async alterTopic(topic: string, change: TopicChange) {
    await this.call('alterTopic', [topic, change]);
  }

  deleteTopic(topic: string) {
    return this.call('deleteTopic', [topic]);
  }

  topicSettings(topic: string) {
    return this.call('topicSettings', [topic]);
  }

  join(group: string, topic: string, start: StartOffset) {
    return this.call('join', [group, topic, start]);
  }

  async poll(memberId: string, commits: Position[], { signal, ...wait }: WaitOptions) {
    const result = await this.call('poll', [memberId, commits, wait], signal);
    return { ...result, batches: decodeBatches(result.batches) };
  }

  async release(memberId: string, commits: Position[], partitions: number[]) {
    await this.call('release', [memberId, commits, partitions]);
  }

  async leave(memberId: string, commits: Position[]) {
    await this.call('leave', [memberId, commits]);
  }

  stats(): Promise<BrokerStats> {
    return this.call('stats', []);
  }

  status() {
    return this.call('status', []);
  }

  /** Asks the daemon to exit; resolves when it has closed the connection. */
  async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    await this.call('shutdown', []).catch(() => {});
    this.socket.ref(); // nothing is pending any more, but the close is still awaited
    await closed;
  }

  async close(): Promise<void> {
    this.socket.end();
    this.socket.destroy();
  }

  private settle(reply: Reply): void {
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.socket.unref();
    if (reply.error) {
      call.reject(
        new ZpsError(reply.error.message, {
          code: reply.error.code,
          retriable: reply.error.retriable,
          reason: reply.error.reason,
          hint: reply.error.hint,
        }),
      );
    } else call.resolve(reply.result);
  }

  private fail(error: ZpsError): void {
    this.closedError ??= error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}
