import { batchIsFull } from './batching.js';
import { encodeJson } from './codec.js';
import { ZpsError, usageError } from './errors.js';
import { checkMessageSize, validateTopicName } from './limits.js';
import { messageSize, type OutgoingRecord } from '../records/record.js';
import { expandAcks, outgoingBatch } from '../records/record-batch.js';
import { recordHeaders } from './delivery.js';
import { TYPE_HEADER, type PublishOptions, type PublishResult, type Publisher, type RecordSender } from './types.js';

interface Pending {
  record: OutgoingRecord;
  key: string | null;
  resolve: (ack: PublishResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The library's Publisher over any RecordSender: JSON-encodes values, adds the type header, and
 * gathers the publishes made in the same tick into one batch (one round trip for many awaits; a
 * tick of many or large publishes makes several, as batching.ts says).
 */
export class BatchingPublisher implements Publisher {
  private queue: Pending[] = [];
  private queuedBytes = 0;
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

  publish(key: string | Buffer | null, value: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new ZpsError(`publisher for ${this.topic} is closed`));
    let record: OutgoingRecord;
    let size: number;
    try {
      if (key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) throw usageError('a key is a string, a Buffer or null');
      const headers = recordHeaders(options.headers);
      if (this.messageType !== undefined) headers.push([TYPE_HEADER, Buffer.from(this.messageType)]);
      const keyBytes = typeof key === 'string' ? Buffer.from(key) : key;
      record = { key: keyBytes, value: encodeJson(value), headers, partition: options.partition };
      size = messageSize(keyBytes, record.value, headers);
      checkMessageSize(size);
    } catch (error) {
      return Promise.reject(error);
    }
    const textKey = key === null || typeof key === 'string' ? key : key.toString('utf8');
    return new Promise((resolve, reject) => {
      if (batchIsFull(this.queue.length, this.queuedBytes, size)) this.flush();
      this.queue.push({ record, key: textKey, resolve, reject });
      this.queuedBytes += size;
      if (!this.flushScheduled) {
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
    this.queuedBytes = 0;
    const sent = this.sender.send(this.topic, outgoingBatch(batch.map((pending) => pending.record))).then(
      (runs) => {
        const acks = expandAcks(runs);
        for (const [i, pending] of batch.entries()) pending.resolve({ topic: this.topic, ...acks[i]!, key: pending.key });
      },
      (error) => {
        for (const pending of batch) pending.reject(error);
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }
}
