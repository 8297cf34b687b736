/**
 * Reading and writing the primitive types of Kafka's protocol: big-endian integers, zigzag
 * varints (records), unsigned varints (compact lengths of flexible versions), strings and bytes.
 *
 * Invariants: a Reader never reads past its end (it throws MalformedKafkaError instead); 64-bit
 * integers are JavaScript numbers, exact up to 2^53, zigzag varints up to 2^52 (offsets,
 * timestamps, producer ids and deltas stay far below); a Writer grows its buffer as needed and
 * hands out only the bytes written.
 */

export class MalformedKafkaError extends Error {}

const TWO_32 = 0x1_0000_0000;

export class Writer {
  private buffer: Buffer;
  private view: DataView;
  at: number;

  /** `headroom`: bytes left free in front of what is written, for a frame around it (a request's size and header). */
  constructor(
    capacity = 256,
    readonly headroom = 0,
  ) {
    this.buffer = Buffer.allocUnsafe(headroom + capacity);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.at = headroom;
  }

  /** Makes room for `bytes` more bytes. */
  ensure(bytes: number): void {
    if (this.at + bytes <= this.buffer.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.byteLength * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  int8(value: number): this {
    this.ensure(1);
    this.view.setInt8(this.at, value);
    this.at += 1;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.view.setInt16(this.at, value);
    this.at += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.view.setInt32(this.at, value);
    this.at += 4;
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.view.setUint16(this.at, value);
    this.at += 2;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.at, value);
    this.at += 8;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.at, value);
    this.at += 4;
    return this;
  }

  int64(value: number): this {
    this.ensure(8);
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.at, high);
    this.view.setUint32(this.at + 4, value - high * TWO_32);
    this.at += 8;
    return this;
  }

  /** Unsigned varint (compact lengths, tagged fields). */
  uvarint(value: number): this {
    this.ensure(10);
    while (value >= 0x80) {
      this.buffer[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.at++] = value;
    return this;
  }

  /** Zigzag varint (record fields): up to 64 bits, exact to 2^52. */
  varint(value: number): this {
    return this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** INT16 length then UTF-8; null as length -1. */
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const length = Buffer.byteLength(value);
    this.int16(length).ensure(length);
    this.buffer.write(value, this.at);
    this.at += length;
    return this;
  }

  /** Flexible versions' string: unsigned varint length + 1 (0: null). */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const length = Buffer.byteLength(value);
    this.uvarint(length + 1).ensure(length);
    this.buffer.write(value, this.at);
    this.at += length;
    return this;
  }

  /** INT32 length then the bytes; null as length -1. */
  bytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1);
    return this.int32(value.byteLength).raw(value);
  }

  compactBytes(value: Uint8Array | null): this {
    if (value === null) return this.uvarint(0);
    return this.uvarint(value.byteLength + 1).raw(value);
  }

  raw(value: Uint8Array): this {
    this.ensure(value.byteLength);
    this.buffer.set(value, this.at);
    this.at += value.byteLength;
    return this;
  }

  /** Writes a 4-byte placeholder and returns where, for setInt32At once the value is known. */
  reserve32(): number {
    this.ensure(4);
    const at = this.at;
    this.at += 4;
    return at;
  }

  setInt32At(at: number, value: number): void {
    this.view.setInt32(at, value);
  }

  setUint32At(at: number, value: number): void {
    this.view.setUint32(at, value);
  }

  /** The bytes written so far, headroom left out (a view: the writer must not be used after). */
  finish(): Buffer {
    return this.buffer.subarray(this.headroom, this.at);
  }
}

export class Reader {
  private readonly view: DataView;
  at: number;

  constructor(
    readonly buffer: Buffer,
    start = 0,
    readonly end = buffer.byteLength,
  ) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.at = start;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  private need(bytes: number): number {
    const at = this.at;
    if (at + bytes > this.end) throw new MalformedKafkaError(`message cut short: ${bytes} bytes wanted at ${at} of ${this.end}`);
    this.at = at + bytes;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.need(1));
  }

  int16(): number {
    return this.view.getInt16(this.need(2));
  }

  int32(): number {
    return this.view.getInt32(this.need(4));
  }

  uint32(): number {
    return this.view.getUint32(this.need(4));
  }

  uint16(): number {
    return this.view.getUint16(this.need(2));
  }

  float64(): number {
    return this.view.getFloat64(this.need(8));
  }

  /** The next `length` bytes, as a view of the buffer. */
  take(length: number): Buffer {
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  int64(): number {
    const at = this.need(8);
    return this.view.getInt32(at) * TWO_32 + this.view.getUint32(at + 4);
  }

  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 64; shift += 7) {
      const byte = this.buffer[this.need(1)]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new MalformedKafkaError('varint longer than 10 bytes');
  }

  varint(): number {
    const zigzag = this.uvarint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  compactString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  /** INT32-length bytes as a view of the buffer (no copy); null for length -1. */
  bytes(): Buffer | null {
    const length = this.int32();
    if (length < -1) throw new MalformedKafkaError(`invalid length ${length}`);
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  compactBytes(): Buffer | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  skip(bytes: number): void {
    this.need(bytes);
  }
}
