import { encodeJson } from './codec.js';
import { ZpsError } from './errors.js';
import { checkMessageSize, messageSize, validateTopicName } from './limits.js';
import { outgoingBatch } from './record-batch.js';
import {
  TYPE_HEADER,
  type Headers,
  type OutgoingRecord,
  type PublishOptions,
  type PublishResult,
  type Publisher,
  type RecordSender,
} from './types.js';

interface Pending {
  record: OutgoingRecord;
  resolve: (ack: PublishResult) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH_RECORDS = 1000;

/**
 * The library's Publisher over any RecordSender: JSON-encodes values, adds the type header, and
 * gathers the publishes made in the same tick into one batch (one round trip for many awaits).
 */
export class BatchingPublisher implements Publisher {
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly sender: RecordSender,
    readonly topic: string,
    private readonly messageType?: string,
  ) {
    validateTopicName(topic);
  }

  publish(key: string | null, value: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new ZpsError(`publisher for ${this.topic} is closed`));
    let record: OutgoingRecord;
    try {
      const headers: Headers = { ...options.headers };
      if (this.messageType !== undefined) headers[TYPE_HEADER] = this.messageType;
      record = { key, value: encodeJson(value), headers, partition: options.partition };
      checkMessageSize(messageSize(key, record.value, headers));
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (this.queue.length >= MAX_BATCH_RECORDS) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const sent = this.sender.send(this.topic, outgoingBatch(batch.map((pending) => pending.record))).then(
      (acks) => batch.forEach((pending, i) => pending.resolve(acks[i]!)),
      (error) => batch.forEach((pending) => pending.reject(error)),
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
