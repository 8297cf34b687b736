import { messageSize } from './limits.js';
import type { Headers, OutgoingRecord, PublishResult } from './types.js';

/**
 * Records to publish, however they are held: objects (the library), ranges of the lines `zps
 * publish` read, or the bytes of a produce request as the daemon received them. Senders and the
 * broker read them through this, so bulk input never becomes an object per message.
 */
export interface RecordBatch {
  readonly length: number;
  partition(i: number): number | undefined;
  key(i: number): string | null;
  headers(i: number): Headers;
  /** Value, key and header bytes: what the message size limit counts. */
  size(i: number): number;
  value(i: number): Buffer;
  valueLength(i: number): number;
  copyValue(i: number, target: Uint8Array, at: number): void;
}

/** Shared by every record without headers (frozen: it is handed to every reader of one). */
export const NO_HEADERS: Headers = Object.freeze({}) as Headers;

export function outgoingBatch(records: readonly OutgoingRecord[]): RecordBatch {
  return {
    length: records.length,
    partition: (i) => records[i]!.partition,
    key: (i) => records[i]!.key,
    headers: (i) => records[i]!.headers,
    size: (i) => messageSize(records[i]!.key, records[i]!.value, records[i]!.headers),
    value: (i) => records[i]!.value,
    valueLength: (i) => records[i]!.value.byteLength,
    copyValue: (i, target, at) => target.set(records[i]!.value, at),
  };
}

/** A produce's acks as runs of consecutive offsets in one partition: [partition, first offset, count]. */
export type AckRun = [number, number, number];

/** One PublishResult per record sent, from the runs and the keys the sender knows. */
export function expandAcks(topic: string, runs: readonly AckRun[], keyOf: (i: number) => string | null): PublishResult[] {
  const acks: PublishResult[] = [];
  for (const [partition, first, count] of runs) {
    for (let offset = first; offset < first + count; offset++) acks.push({ topic, partition, offset, key: keyOf(acks.length) });
  }
  return acks;
}
