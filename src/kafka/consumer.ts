import { randomUUID } from 'node:crypto';
import type { Consumer as KafkaJsConsumer, EachBatchPayload } from 'kafkajs';
import { decodeRecord, matchesType, metaOf } from '../pubsub/delivery.js';
import { describeError } from '../pubsub/errors.js';
import { validateTopicName } from '../pubsub/limits.js';
import { handleWithRetry, type ErrorCallback, type RetryOptions } from '../pubsub/retry.js';
import type { ConsumeOptions, Consumer, DeliveredRecord, MessageHandler } from '../pubsub/types.js';
import type { KafkaAdmin } from './admin.js';
import { groupMember, withDeadline, type KafkaClient, type KafkaSettings } from './connection.js';
import { toDelivered } from './records.js';
import type { SchemaCodec } from './schema.js';
import { seekOnJoin } from './start-offsets.js';

export interface KafkaConsumerOptions {
  group?: string;
  /** Decodes Confluent-framed values when a schema registry is configured. */
  schemas?: SchemaCodec;
  retry: RetryOptions;
  onError: ErrorCallback;
}

/** How often a consumer of a topic that does not exist yet looks again. */
const TOPIC_POLL_MS = 500;

interface Subscription {
  handler: MessageHandler;
  messageType?: string;
}

/**
 * One kafkajs group member for all the topics this consumer subscribes to (kafkajs's assignors
 * expect every member of a group to subscribe alike): each consume() stops it, adds the topic and
 * runs it again. Handlers run in order per partition; an offset is resolved, then committed, only
 * after its handler succeeded or gave up.
 */
export class KafkaConsumer implements Consumer {
  private member: KafkaJsConsumer | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private closing = false;
  private readonly group: string;
  /** consume() calls run one after another: each restarts the member. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    private readonly settings: KafkaSettings,
    private readonly options: KafkaConsumerOptions,
  ) {
    this.group = options.group ?? `zps-anonymous-${randomUUID()}`;
  }

  consume<T>(topic: string, handler: MessageHandler<T>, messageType?: string, options: ConsumeOptions = {}): Promise<void> {
    validateTopicName(topic);
    return this.enqueue(() => this.subscribe(topic, { handler: handler as MessageHandler, messageType }, options));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => {});
    return done;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queue;
    await this.member?.disconnect().catch(() => {});
  }

  private async subscribe(topic: string, subscription: Subscription, options: ConsumeOptions): Promise<void> {
    if (this.closing) throw new Error('consumer is closed');
    if (!(await this.admin.partitionOffsets(topic))) {
      // Consuming never creates a topic: once it is created, all of it is new, read from its start.
      this.whenCreated(topic, () => this.subscribe(topic, subscription, { ...options, fromBeginning: true }));
      return;
    }
    // A new group starts at the end as of this subscription, as in local mode.
    const starts = options.fromBeginning ? new Map<number, number>() : await this.uncommittedEnds(topic);
    await withDeadline(this.settings, `subscribe to ${topic}`, async () => {
      const member = await this.connectedMember();
      await member.stop();
      seekOnJoin(member, topic, starts);
      this.subscriptions.set(topic, subscription);
      const joined = new Promise<void>((resolve) => {
        const off = member.on(member.events.GROUP_JOIN, () => (off(), resolve()));
      });
      // Partitions with no committed offset start at the beginning, unless seeked on join.
      await member.subscribe({ topic, fromBeginning: true });
      await member.run({
        autoCommit: true,
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.deliver(payload),
      });
      await joined;
    });
  }

  /** Runs `subscribe` (in turn with other subscriptions) once the topic exists, unless closed first. */
  private whenCreated(topic: string, subscribe: () => Promise<void>): void {
    void (async () => {
      while (!this.closing && !(await this.admin.partitionOffsets(topic).catch(() => undefined))) {
        await new Promise((resolve) => setTimeout(resolve, TOPIC_POLL_MS));
      }
      if (!this.closing) await this.enqueue(subscribe);
    })().catch((error: unknown) => process.stderr.write(`zps: consumer of ${topic} could not subscribe: ${describeError(error)}\n`));
  }

  private async connectedMember(): Promise<KafkaJsConsumer> {
    if (!this.member) {
      const member = await groupMember(this.kafka, this.group);
      await member.connect();
      this.member = member;
    }
    return this.member;
  }

  private async deliver({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const subscription = this.subscriptions.get(batch.topic);
    if (!subscription) return;
    for (const message of batch.messages) {
      if (this.closing || !isRunning() || isStale()) break;
      const record = await this.decoded(toDelivered(batch.topic, batch.partition, message));
      if (record && matchesType(record, subscription.messageType)) {
        const { message: value, meta } = decodeRecord(record);
        const settled = await handleWithRetry(
          () => subscription.handler(value, meta),
          (error) => this.options.onError(error, value, meta),
          this.options.retry,
          () => this.closing,
        );
        if (!settled) break;
      }
      resolveOffset(message.offset);
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
  }

  /** The record with its schema-registry value decoded; undefined (reported to onError) when that fails. */
  private async decoded(record: DeliveredRecord): Promise<DeliveredRecord | undefined> {
    if (!this.options.schemas) return record;
    try {
      return await this.options.schemas.decode(record);
    } catch (error) {
      this.options.onError(error, record.value, metaOf(record));
      return undefined;
    }
  }

  /** The current end offset of each partition the group has not committed. */
  private async uncommittedEnds(topic: string): Promise<Map<number, number>> {
    const [offsets, committed] = await Promise.all([this.admin.partitionOffsets(topic), this.admin.committed(this.group, topic)]);
    return new Map((offsets ?? []).filter((p) => !committed.has(p.partition)).map((p) => [p.partition, p.end]));
  }
}
