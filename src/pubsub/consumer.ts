import { decodeRecord, matchesType, metaOf } from './delivery.js';
import type { Driver, GroupMember } from './driver.js';
import { ZpsError, codeOf, describeError, isUnavailable } from './errors.js';
import { validateTopicName } from './limits.js';
import { handleWithRetry, report, type ErrorCallback, type RetryOptions } from './retry.js';
import type { ConsumeOptions, Consumer, MessageHandler, StartOffset } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/**
 * Turns a record's stored value into the one handlers see (the schema registry's framing, say);
 * `waitsOn` names, as errors say it, what a decode may wait for.
 */
export type RecordDecoder = ((record: DeliveredRecord) => Promise<DeliveredRecord>) & { readonly waitsOn?: string };

export interface ConsumerOptions {
  /** Without a group the consumer is a group of its own, as an app with a unique group id is. */
  group?: string;
  retry: RetryOptions;
  onError: ErrorCallback;
  decode?: RecordDecoder;
}

interface Subscription {
  topic: string;
  handler: MessageHandler;
  messageType?: string;
  start: StartOffset;
}

const POLL = { maxRecords: 500, maxBytes: 4 * 1024 * 1024, waitMs: 1_000 };
const REJOIN_BACKOFF_MS = { initial: 100, max: 5_000 };

/**
 * The library's consumer, in every environment: a group member per subscribed topic, handlers run
 * in order per partition, an offset committed only once its handler succeeded or gave up. When the
 * broker goes away (the daemon restarted, a connection lost), it joins again and goes on from the
 * group's committed offsets: delivery is at least once.
 */
export class DriverConsumer implements Consumer {
  private readonly loops: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly group: string;

  constructor(
    private readonly driver: () => Promise<Driver>,
    private readonly options: ConsumerOptions,
  ) {
    // global crypto: node:crypto is loaded only where a consumer is made
    this.group = options.group ?? `zps-anonymous-${crypto.randomUUID()}`;
  }

  async consume<T>(topic: string, handler: MessageHandler<T>, messageType?: string, options: ConsumeOptions = {}): Promise<void> {
    validateTopicName(topic);
    if (this.closing) throw new Error('consumer is closed');
    const subscription: Subscription = {
      topic,
      handler: handler as MessageHandler,
      messageType,
      start: { kind: options.fromBeginning ? 'beginning' : 'end' },
    };
    const member = await this.join(subscription);
    this.loops.push(this.run(subscription, member));
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private get closing(): boolean {
    return this.abort.signal.aborted;
  }

  private async join(subscription: Subscription): Promise<GroupMember> {
    return (await this.driver()).join(this.group, subscription.topic, subscription.start);
  }

  /**
   * Delivers until closed; when the broker goes away (the local daemon restarts) or the registry
   * cannot be asked, joins again, after a wait that grows while nothing is delivered between two
   * stops (a registry that stays down does not make the group rebalance ten times a second).
   */
  private async run(subscription: Subscription, member: GroupMember): Promise<void> {
    let backoff = REJOIN_BACKOFF_MS.initial;
    const progress = { delivered: false };
    for (;;) {
      try {
        await this.deliver(subscription, member, progress);
        return;
      } catch (error) {
        if (progress.delivered) backoff = REJOIN_BACKOFF_MS.initial;
        progress.delivered = false;
        if (this.closing) return;
        const why = `consumer of ${subscription.topic} stopped, joining its group again: ${describeError(error)}`;
        report(this.options.onError, new ZpsError(why, { code: codeOf(error), retriable: true, cause: error }));
        await member.leave().catch(() => {});
      }
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, backoff));
        if (this.closing) return;
        backoff = Math.min(backoff * 2, REJOIN_BACKOFF_MS.max);
        try {
          member = await this.join(subscription);
          break;
        } catch {
          // still gone: try again after the next backoff
        }
      }
    }
  }

  private async deliver({ handler, messageType }: Subscription, member: GroupMember, progress: { delivered: boolean }): Promise<void> {
    const closing = () => this.closing;
    while (!closing()) {
      const result = await member.poll({ ...POLL, signal: this.abort.signal });
      deliver: for (const { records } of result.batches) {
        for (const stored of records) {
          if (result.lost?.aborted) break deliver; // the group took them meanwhile: the next owner handles the rest
          const record = await this.decoded(stored);
          if (record && matchesType(record, messageType)) {
            const { message, meta } = decodeRecord(record);
            const settled = await handleWithRetry(
              () => handler(message, meta),
              (error) => report(this.options.onError, error, message, meta),
              this.options.retry,
              closing,
            );
            if (!settled) break deliver;
          }
          member.commit(stored.partition, stored.offset + 1);
          progress.delivered = true;
        }
      }
      if (result.revoked.length > 0) await member.release(result.revoked);
    }
    await member.leave();
  }

  /**
   * The record with its value decoded; undefined (reported to onError, then skipped) when it cannot
   * be. When the registry could not be asked (or trusted, or was no registry), the consumer stops
   * and joins again, uncommitted: the record is delivered once the registry answers, not skipped.
   */
  private async decoded(record: DeliveredRecord): Promise<DeliveredRecord | undefined> {
    if (!this.options.decode) return record;
    try {
      return await this.options.decode(record);
    } catch (error) {
      if (isUnavailable(error)) throw error;
      report(this.options.onError, error, record.value, metaOf(record));
      return undefined;
    }
  }
}
