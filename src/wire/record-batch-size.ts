/**
 * Sizes of records in Kafka's RecordBatch v2 (magic 2) format, which is what a broker compares with
 * `max.message.bytes` (per topic; the broker's `message.max.bytes`, 1,048,588 by default): a batch
 * of records for one partition must fit whole, its 61-byte header included. Pure arithmetic.
 *
 *   record := length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 *             keyLength varint, key, valueLength varint, value, headerCount varint,
 *             (nameLength varint, name, valueLength varint, value)*
 */
import type { RecordHeaders } from '../records/record.js';

/** Kafka's default message.max.bytes: the largest record batch a topic takes unless configured otherwise. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** baseOffset, length, leader epoch, magic, crc, attributes, lastOffsetDelta, two timestamps, producer id/epoch, base sequence, count */
export const RECORD_BATCH_HEADER_BYTES = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/**
 * About what a record takes in a batch beyond its key, value and header bytes (its length,
 * attributes, deltas and length prefixes, with few headers): what a fetch of a given size holds.
 */
export const RECORD_FRAMING_BYTES = 12;

/** Bytes of a zigzag varint. */
export function varintBytes(value: number): number {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    bytes++;
  }
  return bytes;
}

/** Most bytes the deltas of a record take in a batch of a few thousand records sent within a minute. */
const MAX_DELTA_BYTES = 4 + 3;

/** The encoded size of one record in a batch, its length prefix included. `keyLength`/`valueLength` -1: null. */
export function recordBytes(keyLength: number, valueLength: number, headers: RecordHeaders, deltaBytes = MAX_DELTA_BYTES): number {
  let body = 1 + deltaBytes + varintBytes(keyLength) + Math.max(keyLength, 0) + varintBytes(valueLength) + Math.max(valueLength, 0);
  body += varintBytes(headers.length);
  for (const [name, value] of headers) {
    const nameLength = Buffer.byteLength(name);
    const length = value === null ? -1 : value.byteLength;
    body += varintBytes(nameLength) + nameLength + varintBytes(length) + Math.max(length, 0);
  }
  return varintBytes(body) + body;
}

/** The size of a batch holding only this record: what must fit the topic's `max.message.bytes`. */
export function singleRecordBatchBytes(keyLength: number, valueLength: number, headers: RecordHeaders): number {
  return RECORD_BATCH_HEADER_BYTES + recordBytes(keyLength, valueLength, headers, 2); // both deltas 0: a byte each
}
