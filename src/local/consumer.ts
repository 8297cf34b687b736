import { decodeRecord, matchesType } from '../pubsub/delivery.js';
import { describeError } from '../pubsub/errors.js';
import { validateTopicName } from '../pubsub/limits.js';
import { handleWithRetry, type ErrorCallback, type RetryOptions } from '../pubsub/retry.js';
import type { ConsumeOptions, Consumer, MessageHandler, StartOffset } from '../pubsub/types.js';
import type { BrokerService } from '../memory/service.js';
import { CommitTracker, deliveredRecords } from './records.js';

export interface LocalConsumerOptions {
  /** Without a group the consumer is a group of its own, as an app with a unique group id is. */
  group?: string;
  retry: RetryOptions;
  onError: ErrorCallback;
}

interface Subscription {
  topic: string;
  handler: MessageHandler;
  messageType?: string;
  start: StartOffset;
}

const POLL = { maxRecords: 500, maxBytes: 4 * 1024 * 1024, waitMs: 5_000 };
const RECONNECT_BACKOFF_MS = { initial: 100, max: 5_000 };

/** A group member per subscribed topic; handlers run in order per partition, commits follow success. */
export class LocalConsumer implements Consumer {
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly group: string;

  constructor(
    private readonly service: () => Promise<BrokerService>,
    private readonly options: LocalConsumerOptions,
  ) {
    this.group = options.group ?? `zps-anonymous-${crypto.randomUUID()}` // global crypto: node:crypto loads only here;
  }

  async consume<T>(
    topic: string,
    handler: MessageHandler<T>,
    messageType?: string,
    options: ConsumeOptions = {},
  ): Promise<void> {
    validateTopicName(topic);
    if (this.closing) throw new Error('consumer is closed');
    const subscription: Subscription = {
      topic,
      handler: handler as MessageHandler,
      messageType,
      start: { kind: options.fromBeginning ? 'beginning' : 'end' },
    };
    const service = await this.service();
    const member = await service.join(this.group, topic, subscription.start);
    this.loops.push(this.run(subscription, service, member));
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private get closing(): boolean {
    return this.abort.signal.aborted;
  }

  /** Delivers until closed; when the daemon goes away, reconnects (restarting it) and rejoins. */
  private async run(subscription: Subscription, service: BrokerService, member: string): Promise<void> {
    let backoff = RECONNECT_BACKOFF_MS.initial;
    for (;;) {
      try {
        await this.deliver(subscription, service, member);
        return;
      } catch (error) {
        if (this.closing) return;
        process.stderr.write(`zps: consumer of ${subscription.topic} lost the broker, reconnecting: ${describeError(error)}\n`);
      }
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, backoff));
        if (this.closing) return;
        backoff = Math.min(backoff * 2, RECONNECT_BACKOFF_MS.max);
        try {
          service = await this.service();
          member = await service.join(this.group, subscription.topic, subscription.start);
          backoff = RECONNECT_BACKOFF_MS.initial;
          break;
        } catch {
          // still gone: try again after the next backoff
        }
      }
    }
  }

  private async deliver({ handler, messageType }: Subscription, service: BrokerService, member: string): Promise<void> {
    const commits = new CommitTracker();
    const closing = () => this.closing;
    while (!closing()) {
      const result = await service.poll(member, commits.take(), { ...POLL, signal: this.abort.signal });
      deliver: for (const record of deliveredRecords(result.batches)) {
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
    await service.leave(member, commits.take());
  }
}
