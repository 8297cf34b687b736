/**
 * The record model every folder shares: a record as Kafka carries it (key, value and header values
 * as bytes, each may be null), on its way to a broker and read back, and what the message size
 * limit counts of it. A leaf: it imports nothing of zps.
 */

/**
 * A header as Kafka carries it: a name and bytes, or null. Names may repeat and order matters,
 * so records hold their headers as a list of these.
 */
export type RecordHeader = readonly [name: string, value: Buffer | null];
export type RecordHeaders = readonly RecordHeader[];

/** Shared by every record without headers (frozen: it is handed to every reader of one). */
export const NO_HEADERS: RecordHeaders = Object.freeze([]) as RecordHeaders;

/** Where a stored message is, and when it was stored. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch, set by the broker when the message was stored (or by its producer). */
  timestamp: number;
}

/** A message on its way to the broker, as bytes: a null value is a tombstone. */
export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
  partition?: number;
}

/** A message read back from the broker, as the bytes it was stored as. */
export interface DeliveredRecord extends RecordPosition {
  key: Buffer | null;
  /** All headers, the type header included. */
  headers: RecordHeaders;
  /** Null for a tombstone. */
  value: Buffer | null;
  /** Why the value could not be decoded (an unknown schema id, say): it is then left as stored. */
  undecodable?: string;
}

/**
 * A delivered record whose value stays in the bytes it was fetched in until asked for: a reader
 * printing millions of values writes them from there (valueBytes), with no Buffer made per record.
 * `value` is its prototype's, so a copy made by spreading one must name it.
 */
export class FetchedRecord implements DeliveredRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    readonly key: Buffer | null,
    readonly headers: RecordHeaders,
    /** The bytes the value lies in, where it starts there, and its length (-1: a tombstone). */
    readonly valueBytes: Buffer,
    readonly valueStart: number,
    readonly valueLength: number,
  ) {}

  get value(): Buffer | null {
    return this.valueLength < 0 ? null : this.valueBytes.subarray(this.valueStart, this.valueStart + this.valueLength);
  }
}

/** Where the broker stored one record of a batch. */
export interface RecordAck {
  partition: number;
  offset: number;
}

/** What the size limit counts of a message: key, value, and header names and values, in bytes. */
export function messageSize(key: Uint8Array | null, value: Uint8Array | null, headers: RecordHeaders): number {
  return (key?.byteLength ?? 0) + (value?.byteLength ?? 0) + headerBytes(headers);
}

export function headerBytes(headers: RecordHeaders): number {
  let size = 0;
  for (const [name, value] of headers) size += Buffer.byteLength(name) + (value?.byteLength ?? 0);
  return size;
}
