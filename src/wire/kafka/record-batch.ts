/**
 * Kafka's RecordBatch v2 (magic 2), both ways: what a producer sends and a broker stores, and what
 * a fetch returns. One codec for zps's producer and reader, and for a broker of its own.
 *
 *   batch  := baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8 (2),
 *             crc uint32 (CRC-32C of attributes..end), attributes int16, lastOffsetDelta int32,
 *             baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
 *             baseSequence int32, recordCount int32, records (compressed as a whole when
 *             attributes & 7 is not 0)
 *   record := length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *             key (varint length, -1: null), value (varint length, -1: null: a tombstone),
 *             headerCount varint, (name (varint length, UTF-8), value (varint length, -1: null))*
 *
 * Invariants: pure, bytes in and bytes out; decoding reads only inside the batches it is given
 * and ignores a last batch cut short (a fetch may end inside one); keys, values and header values
 * of decoded records are views of the fetched (or decompressed) bytes, never copies (a value's
 * view made only when asked for: FetchedRecord).
 */
import type { PlainRecords, RecordBatch } from '../../records/record-batch.js';
import { FetchedRecord, NO_HEADERS, type DeliveredRecord, type RecordHeader, type RecordHeaders } from '../../records/record.js';
import { decompress } from '../compression.js';
import type { PackedValues } from '../../records/packed-values.js';
import { RECORD_BATCH_HEADER_BYTES, varintBytes } from '../record-batch-size.js';
import { MalformedKafkaError } from './bytes.js';
import { crc32c } from './crc32c.js';

const MAGIC = 2;
const TWO_32 = 0x1_0000_0000;

/** Offsets of a batch's header fields, from the batch's start. */
const BATCH_LENGTH = 8;
const LEADER_EPOCH = 12;
const MAGIC_AT = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;
/** baseOffset and batchLength come before what batchLength counts. */
const LOG_OVERHEAD = 12;

const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** Who produced a batch, for the broker's deduplication (idempotent producers). */
export interface BatchProducer {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export const NO_PRODUCER: BatchProducer = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

/**
 * One uncompressed batch of records `indexes` of `records` (in that order), for `producer`.
 * `timestamp`: the batch's base timestamp, every record's unless the records have their own (a
 * broker's stored records). Offsets count from `baseOffset` (0 for a producer: the broker assigns
 * them). `packed`: the records' values packed once for every batch made of them.
 */
export function encodeRecordBatch(
  records: RecordBatch,
  indexes: ArrayLike<number>,
  timestamp: number,
  producer: BatchProducer = NO_PRODUCER,
  packed: PackedValues = records.packedValues(),
  baseOffset = 0,
): Buffer {
  let size = RECORD_BATCH_HEADER_BYTES;
  const bodies = new Float64Array(indexes.length);
  const stamp = records.timestamp?.bind(records);
  const deltas = stamp ? new Float64Array(indexes.length) : undefined;
  // records without keys or headers (bulk lines): their value lengths read from one column
  const plainLengths = records.plain?.()?.valueLengths;
  let maxTimestamp = timestamp;
  for (let n = 0; n < indexes.length; n++) {
    const i = indexes[n]!;
    const valueLength = plainLengths ? plainLengths[i]! : records.valueLength(i);
    let delta = 0;
    if (stamp) {
      const at = stamp(i);
      delta = deltas![n] = at - timestamp;
      if (at > maxTimestamp) maxTimestamp = at;
    }
    let body = 1 + varintBytes(delta) + varintBytes(n) + varintBytes(valueLength) + Math.max(valueLength, 0);
    if (plainLengths)
      body += 2; // a null key, no headers
    else {
      const key = records.key(i);
      body += key === null ? 1 : varintBytes(key.byteLength) + key.byteLength;
      const headers = records.headers(i);
      body += varintBytes(headers.length);
      for (let h = 0; h < headers.length; h++) {
        const [name, value] = headers[h]!;
        const nameLength = Buffer.byteLength(name);
        body += varintBytes(nameLength) + nameLength + (value === null ? 1 : varintBytes(value.byteLength) + value.byteLength);
      }
    }
    bodies[n] = body;
    size += varintBytes(body) + body;
  }
  const out = Buffer.allocUnsafe(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  setInt64(view, 0, baseOffset);
  view.setInt32(BATCH_LENGTH, size - LOG_OVERHEAD);
  view.setInt32(LEADER_EPOCH, -1);
  view.setInt8(MAGIC_AT, MAGIC);
  view.setInt16(ATTRIBUTES, 0);
  view.setInt32(LAST_OFFSET_DELTA, indexes.length - 1);
  setInt64(view, BASE_TIMESTAMP, timestamp);
  setInt64(view, MAX_TIMESTAMP, maxTimestamp);
  setInt64(view, PRODUCER_ID, producer.producerId);
  view.setInt16(PRODUCER_EPOCH, producer.producerEpoch);
  view.setInt32(BASE_SEQUENCE, producer.baseSequence);
  view.setInt32(RECORD_COUNT, indexes.length);
  const values = new DataView(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  let at = RECORD_BATCH_HEADER_BYTES;
  for (let n = 0; n < indexes.length; n++) {
    const i = indexes[n]!;
    at = writeVarint(out, at, bodies[n]!);
    out[at++] = 0; // attributes
    if (deltas) at = writeVarint(out, at, deltas[n]!);
    else out[at++] = 0; // timestamp delta: every record has the batch's timestamp
    at = writeVarint(out, at, n);
    const key = plainLengths ? null : records.key(i);
    if (key === null)
      out[at++] = 1; // zigzag -1
    else {
      at = writeVarint(out, at, key.byteLength);
      out.set(key, at);
      at += key.byteLength;
    }
    const valueLength = plainLengths ? plainLengths[i]! : records.valueLength(i);
    at = writeVarint(out, at, valueLength);
    if (valueLength > 0) at = copyBytes(values, packed.starts[i]!, valueLength, view, at);
    if (plainLengths) {
      out[at++] = 0; // no headers
      continue;
    }
    const headers = records.headers(i);
    at = writeVarint(out, at, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const [name, value] = headers[h]!;
      const nameLength = Buffer.byteLength(name);
      at = writeVarint(out, at, nameLength);
      at += out.write(name, at);
      if (value === null) out[at++] = 1;
      else {
        at = writeVarint(out, at, value.byteLength);
        out.set(value, at);
        at += value.byteLength;
      }
    }
  }
  view.setUint32(CRC, crc32c(out, ATTRIBUTES, size));
  return out;
}

/** A transaction that was aborted: its producer, and the offset of its first record. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface DecodeOptions {
  topic: string;
  partition: number;
  /** Records before it (a batch may start earlier) are left out. */
  fetchOffset: number;
  /** read_committed: the aborted transactions the fetch reported, whose records are left out. */
  abortedTransactions?: readonly AbortedTransaction[];
  /** Check each batch's CRC-32C (a broker checks what it is sent; a reader may trust TCP). */
  verifyCrc?: boolean;
}

export interface DecodedRecords {
  records: DeliveredRecord[];
  /** The offset after the last complete batch, records left out included; undefined: none. */
  nextOffset: number | undefined;
}

/** The records of the complete batches in bytes [start, end): control batches and aborted transactions left out. */
export function decodeRecordBatches(bytes: Buffer, options: DecodeOptions, start = 0, end = bytes.byteLength): DecodedRecords {
  const records: DeliveredRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const aborted = [...(options.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  let nextOffset: number | undefined;
  for (let at = start; at + LOG_OVERHEAD <= end; ) {
    const batchEnd = at + LOG_OVERHEAD + view.getInt32(at + BATCH_LENGTH);
    if (batchEnd > end || batchEnd < at + RECORD_BATCH_HEADER_BYTES) break; // cut short by the fetch's size limit
    const magic = view.getInt8(at + MAGIC_AT);
    if (magic !== MAGIC) throw new MalformedKafkaError(`record batch of magic ${magic}: only magic 2 is supported`);
    if (options.verifyCrc && view.getUint32(at + CRC) !== crc32c(bytes, at + ATTRIBUTES, batchEnd)) {
      throw new MalformedKafkaError(`record batch at offset ${getInt64(view, at)} fails its CRC`);
    }
    const baseOffset = getInt64(view, at);
    const attributes = view.getInt16(at + ATTRIBUTES);
    const lastOffset = baseOffset + view.getInt32(at + LAST_OFFSET_DELTA);
    const producerId = getInt64(view, at + PRODUCER_ID);
    while (aborted.length > 0 && aborted[0]!.firstOffset <= lastOffset) abortedProducers.add(aborted.shift()!.producerId);
    const skip = (attributes & CONTROL) !== 0 || ((attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(producerId)) || lastOffset < options.fetchOffset;
    if ((attributes & CONTROL) !== 0 && (attributes & TRANSACTIONAL) !== 0) abortedProducers.delete(producerId); // its transaction ended
    if (!skip) {
      const codec = attributes & COMPRESSION_MASK;
      const body = codec === 0 ? bytes : decompress(codec, bytes.subarray(at + RECORD_BATCH_HEADER_BYTES, batchEnd));
      const logAppendTime = (attributes & LOG_APPEND_TIME) !== 0 ? getInt64(view, at + MAX_TIMESTAMP) : undefined;
      readRecords(
        body,
        codec === 0 ? at + RECORD_BATCH_HEADER_BYTES : 0,
        codec === 0 ? batchEnd : body.byteLength,
        view.getInt32(at + RECORD_COUNT),
        baseOffset,
        logAppendTime ?? getInt64(view, at + BASE_TIMESTAMP),
        logAppendTime !== undefined,
        options,
        records,
      );
    }
    nextOffset = lastOffset + 1;
    at = batchEnd;
  }
  return { records, nextOffset };
}

function readRecords(
  bytes: Buffer,
  start: number,
  end: number,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  fixedTimestamp: boolean,
  options: DecodeOptions,
  out: DeliveredRecord[],
): void {
  const { topic, partition, fetchOffset } = options;
  const scanned = scanRecords(bytes, start, end, count);
  for (let n = 0; n < count; n++) {
    const offset = baseOffset + scanned.offsetDeltas[n]!;
    if (offset < fetchOffset) continue;
    const keyLength = scanned.keyLengths[n]!;
    const valueAt = scanned.valueStarts[n]!;
    const valueLength = scanned.valueLengths[n]!;
    out.push(
      new FetchedRecord(
        topic,
        partition,
        offset,
        fixedTimestamp ? baseTimestamp : baseTimestamp + scanned.timestampDeltas[n]!,
        keyLength < 0 ? null : bytes.subarray(scanned.keyStarts[n], scanned.keyStarts[n]! + keyLength),
        headersOf(bytes, scanned, n, end),
        bytes,
        valueAt,
        valueLength,
      ),
    );
  }
}

/** Where each field of a batch's records lies, found in one pass, checked against the records' bounds. */
export interface ScannedRecords {
  offsetDeltas: Float64Array;
  timestampDeltas: Float64Array;
  keyStarts: Uint32Array;
  /** -1: a null key. */
  keyLengths: Int32Array;
  valueStarts: Uint32Array;
  /** -1: a null value (a tombstone). */
  valueLengths: Int32Array;
  /**
   * Where each record's header count is, and the bytes of its header names and values (as the
   * message size limit counts them); made at the first record with headers (most batches have none).
   */
  headers?: { at: Uint32Array; bytes: Uint32Array };
  /** Where the last record ends. */
  end: number;
}

/** A batch whose declared record count is not the records it holds: Kafka answers INVALID_RECORD, not CORRUPT_MESSAGE. */
export class RecordCountError extends MalformedKafkaError {}

/** Scans `count` records in bytes [start, end); throws MalformedKafkaError when one overruns. */
export function scanRecords(bytes: Buffer, start: number, end: number, count: number): ScannedRecords {
  if (count < 0 || count > end - start) throw new MalformedKafkaError(`${count} records in ${end - start} bytes`);
  const scanned: ScannedRecords = {
    offsetDeltas: new Float64Array(count),
    timestampDeltas: new Float64Array(count),
    keyStarts: new Uint32Array(count),
    keyLengths: new Int32Array(count),
    valueStarts: new Uint32Array(count),
    valueLengths: new Int32Array(count),
    end: start,
  };
  const cursor = { at: start };
  for (let n = 0; n < count; n++) {
    if (cursor.at >= end) throw new RecordCountError(`record batch declares ${count} records and holds ${n}`);
    const length = readVarint(bytes, cursor, end);
    const recordEnd = cursor.at + length;
    if (recordEnd > end || length < 0) throw cutShort();
    cursor.at++; // attributes
    scanned.timestampDeltas[n] = readVarint(bytes, cursor, recordEnd);
    scanned.offsetDeltas[n] = readVarint(bytes, cursor, recordEnd);
    const keyLength = readVarint(bytes, cursor, recordEnd);
    scanned.keyStarts[n] = cursor.at;
    scanned.keyLengths[n] = keyLength;
    if (keyLength > 0 && (cursor.at += keyLength) > recordEnd) throw cutShort();
    const valueLength = readVarint(bytes, cursor, recordEnd);
    scanned.valueStarts[n] = cursor.at;
    scanned.valueLengths[n] = valueLength;
    if (valueLength > 0 && (cursor.at += valueLength) > recordEnd) throw cutShort();
    const headersAt = cursor.at;
    const headerCount = readVarint(bytes, cursor, recordEnd);
    if (headerCount < 0) throw cutShort();
    if (headerCount === 0) {
      cursor.at = recordEnd;
      continue;
    }
    scanned.headers ??= { at: new Uint32Array(count), bytes: new Uint32Array(count) };
    scanned.headers.at[n] = headersAt;
    let headerBytes = 0;
    for (let h = 0; h < headerCount; h++) {
      const nameLength = readVarint(bytes, cursor, recordEnd);
      if (nameLength < 0 || (cursor.at += nameLength) > recordEnd) throw cutShort();
      const valueBytes = readVarint(bytes, cursor, recordEnd);
      if (valueBytes > 0 && (cursor.at += valueBytes) > recordEnd) throw cutShort();
      headerBytes += nameLength + Math.max(valueBytes, 0);
    }
    scanned.headers.bytes[n] = headerBytes;
    cursor.at = recordEnd;
  }
  scanned.end = cursor.at;
  return scanned;
}

/** Record n's headers, read where scanRecords found them (`end`: the end of the scanned bytes). */
function headersOf(bytes: Buffer, scanned: ScannedRecords, n: number, end: number): RecordHeaders {
  const at = scanned.headers?.at[n];
  return at ? readHeaders(bytes, at, end) : NO_HEADERS;
}

/** The headers whose count is at `at` (already checked by scanRecords): values are views of the bytes. */
export function readHeaders(bytes: Buffer, at: number, end: number): RecordHeader[] {
  const cursor = { at };
  const count = readVarint(bytes, cursor, end);
  const headers: RecordHeader[] = new Array(count);
  for (let h = 0; h < count; h++) {
    const nameLength = readVarint(bytes, cursor, end);
    const name = bytes.toString('utf8', cursor.at, (cursor.at += nameLength));
    const valueLength = readVarint(bytes, cursor, end);
    headers[h] = [name, valueLength < 0 ? null : bytes.subarray(cursor.at, (cursor.at += valueLength))];
  }
  return headers;
}

function cutShort(): MalformedKafkaError {
  return new MalformedKafkaError('record cut short');
}

/** A zigzag varint at cursor.at, moving it on. */
function readVarint(bytes: Buffer, cursor: { at: number }, end: number): number {
  let at = cursor.at;
  if (at >= end) throw cutShort();
  let byte = bytes[at++]!;
  if (byte < 0x80) {
    cursor.at = at;
    return byte & 1 ? -((byte + 1) / 2) : byte / 2;
  }
  let value = byte & 0x7f;
  let scale = 0x80;
  for (;;) {
    if (at >= end) throw cutShort();
    byte = bytes[at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 0x80;
    if (scale > 2 ** 63) throw new MalformedKafkaError('varint longer than 10 bytes');
  }
  cursor.at = at;
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/**
 * Values this short are copied four bytes at a time through DataViews (3× Buffer#copy, which costs
 * a call into C++ and a view per value: most of encoding a batch of small messages).
 */
const SHORT_COPY = 256;

/** Copies `length` bytes at `from` of `source` to `at` of `out`; returns where they end. */
function copyBytes(source: DataView, from: number, length: number, out: DataView, at: number): number {
  if (length > SHORT_COPY) {
    new Uint8Array(out.buffer, out.byteOffset + at, length).set(new Uint8Array(source.buffer, source.byteOffset + from, length));
    return at + length;
  }
  let k = 0;
  for (; k + 4 <= length; k += 4) out.setUint32(at + k, source.getUint32(from + k, true), true);
  for (; k < length; k++) out.setUint8(at + k, source.getUint8(from + k));
  return at + length;
}

/** Writes a zigzag varint at `at`; returns where it ends. */
function writeVarint(out: Buffer, at: number, value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  if (zigzag < 0x80) {
    out[at] = zigzag; // the common case of a batch's offset deltas and short lengths
    return at + 1;
  }
  if (zigzag <= 0x7fffffff) {
    // fits 31 bits: shifts instead of float division
    while (zigzag >= 0x80) {
      out[at++] = (zigzag & 0x7f) | 0x80;
      zigzag >>>= 7;
    }
    out[at++] = zigzag;
    return at;
  }
  while (zigzag >= 0x80) {
    out[at++] = (zigzag % 0x80) | 0x80;
    zigzag = Math.floor(zigzag / 0x80);
  }
  out[at++] = zigzag;
  return at;
}

function getInt64(view: DataView, at: number): number {
  return view.getInt32(at) * TWO_32 + view.getUint32(at + 4);
}

function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * TWO_32);
}

/** The header fields of the batch at `at` (for a broker: validation, deduplication, assigning offsets). */
export function batchHeader(bytes: Buffer, at = 0) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    baseOffset: getInt64(view, at),
    batchLength: view.getInt32(at + BATCH_LENGTH),
    magic: view.getInt8(at + MAGIC_AT),
    crc: view.getUint32(at + CRC),
    attributes: view.getInt16(at + ATTRIBUTES),
    lastOffsetDelta: view.getInt32(at + LAST_OFFSET_DELTA),
    baseTimestamp: getInt64(view, at + BASE_TIMESTAMP),
    maxTimestamp: getInt64(view, at + MAX_TIMESTAMP),
    producerId: getInt64(view, at + PRODUCER_ID),
    producerEpoch: view.getInt16(at + PRODUCER_EPOCH),
    baseSequence: view.getInt32(at + BASE_SEQUENCE),
    recordCount: view.getInt32(at + RECORD_COUNT),
  };
}

/**
 * One produced record batch read in place, as a broker stores it: checked whole when read (magic 2,
 * CRC-32C, every record within its bounds, decompressed when compressed), then each record's key,
 * value and headers are views of its bytes and its timestamp is the producer's. No object per record.
 */
export class ProducedBatch implements RecordBatch {
  readonly length: number;

  private constructor(
    readonly header: ReturnType<typeof batchHeader>,
    private readonly index: number,
    private readonly body: Buffer,
    private readonly scanned: ScannedRecords,
  ) {
    this.length = header.recordCount;
  }

  /** The one batch that is `bytes`, for partition `partition`; throws MalformedKafkaError or CompressionError. */
  static read(bytes: Buffer, partition: number): ProducedBatch {
    if (bytes.byteLength < RECORD_BATCH_HEADER_BYTES) throw new MalformedKafkaError('record batch cut short');
    const header = batchHeader(bytes);
    if (header.magic !== MAGIC) throw new MalformedKafkaError(`record batch of magic ${header.magic}: only magic 2 is supported`);
    if (header.batchLength + LOG_OVERHEAD !== bytes.byteLength) throw new MalformedKafkaError('not exactly one record batch');
    if (header.crc !== crc32c(bytes, ATTRIBUTES, bytes.byteLength)) throw new MalformedKafkaError('record batch fails its CRC');
    if (header.recordCount < 1) throw new RecordCountError(`record batch declares ${header.recordCount} records`);
    if (header.lastOffsetDelta !== header.recordCount - 1) throw new RecordCountError('record count does not match the last offset delta');
    const codec = header.attributes & COMPRESSION_MASK;
    const body = codec === 0 ? bytes.subarray(RECORD_BATCH_HEADER_BYTES) : decompress(codec, bytes.subarray(RECORD_BATCH_HEADER_BYTES));
    const scanned = scanRecords(body, 0, body.byteLength, header.recordCount);
    if (scanned.end !== body.byteLength) throw new RecordCountError(`record batch declares ${header.recordCount} records and holds more`);
    for (let n = 0; n < header.recordCount; n++) if (scanned.offsetDeltas[n] !== n) throw new MalformedKafkaError('record offsets are not consecutive');
    return new ProducedBatch(header, partition, body, scanned);
  }

  /** Part of a transaction, or a transaction's marker (a control batch). */
  get transactional(): boolean {
    return (this.header.attributes & (TRANSACTIONAL | CONTROL)) !== 0;
  }

  partition(): number {
    return this.index;
  }

  key(i: number): Buffer | null {
    const length = this.scanned.keyLengths[i]!;
    return length < 0 ? null : this.body.subarray(this.scanned.keyStarts[i], this.scanned.keyStarts[i]! + length);
  }

  headers(i: number): RecordHeaders {
    return headersOf(this.body, this.scanned, i, this.body.byteLength);
  }

  size(i: number): number {
    return Math.max(this.scanned.keyLengths[i]!, 0) + Math.max(this.scanned.valueLengths[i]!, 0) + (this.scanned.headers?.bytes[i] ?? 0);
  }

  value(i: number): Buffer | null {
    const length = this.scanned.valueLengths[i]!;
    return length < 0 ? null : this.body.subarray(this.scanned.valueStarts[i], this.scanned.valueStarts[i]! + length);
  }

  valueLength(i: number): number {
    return this.scanned.valueLengths[i]!;
  }

  timestamp(i: number): number {
    const { attributes, baseTimestamp, maxTimestamp } = this.header;
    return (attributes & LOG_APPEND_TIME) !== 0 ? maxTimestamp : baseTimestamp + this.scanned.timestampDeltas[i]!;
  }

  plain(): PlainRecords | undefined {
    const { headers, keyLengths, valueLengths, timestampDeltas } = this.scanned;
    if (headers) return undefined;
    for (let i = 0; i < keyLengths.length; i++) if (keyLengths[i]! >= 0) return undefined;
    const timestamps = new Float64Array(this.length);
    const { attributes, baseTimestamp, maxTimestamp } = this.header;
    if ((attributes & LOG_APPEND_TIME) !== 0) timestamps.fill(maxTimestamp);
    else for (let i = 0; i < timestamps.length; i++) timestamps[i] = baseTimestamp + timestampDeltas[i]!;
    return { valueLengths, timestamps };
  }

  /**
   * The values where they are: in the batch's records, a few bytes of framing apart (what packing
   * would copy along anyway, for records without long keys or headers). A decompressed body is a
   * buffer of its own; an uncompressed one is part of the request, which a store copies once.
   */
  packedValues(): PackedValues {
    return { bytes: this.body, starts: this.scanned.valueStarts, owned: (this.header.attributes & COMPRESSION_MASK) !== 0 };
  }
}
