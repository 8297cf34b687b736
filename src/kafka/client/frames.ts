/**
 * Kafka's framing on a client's side: a request's size and header written into the headroom the
 * body was encoded with (no copy), and responses cut from the byte stream with at most one copy
 * each (a frame that came in one chunk is a view of it; one that came in many is gathered once).
 */
import { MalformedKafkaError } from '../../wire/kafka/bytes.js';

/** The client id every request carries. */
export const CLIENT_ID = 'zps';

/**
 * Room left in front of every request body for the request's size (4), header v2 (api key 2,
 * version 2, correlation id 4, client id 2 + 'zps', tagged fields 1): written there, the request
 * goes out without being copied.
 */
export const REQUEST_HEADROOM = 32;

/** The biggest response accepted (a Fetch answers at most its max bytes, 50 MiB by default, plus headers). */
const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

/**
 * The request frame around `body`: size, then header v1 (api key, version, correlation id, client
 * id) or, for a flexible version, v2 (the same and no tagged fields). Written into the body's
 * headroom when it has `headroom` bytes in front of it in its memory, else into a new buffer.
 */
export function frameRequest(body: Buffer, headroom: number, apiKey: number, apiVersion: number, correlationId: number, flexible: boolean): Buffer {
  const headerBytes = 2 + 2 + 4 + 2 + CLIENT_ID.length + (flexible ? 1 : 0);
  const frameBytes = 4 + headerBytes + body.byteLength;
  const framed =
    4 + headerBytes <= headroom
      ? Buffer.from(body.buffer, body.byteOffset - 4 - headerBytes, frameBytes)
      : Buffer.concat([Buffer.alloc(4 + headerBytes), body], frameBytes);
  framed.writeInt32BE(frameBytes - 4, 0);
  framed.writeInt16BE(apiKey, 4);
  framed.writeInt16BE(apiVersion, 6);
  framed.writeInt32BE(correlationId, 8);
  framed.writeInt16BE(CLIENT_ID.length, 12);
  framed.write(CLIENT_ID, 14, 'latin1');
  if (flexible) framed[14 + CLIENT_ID.length] = 0; // no tagged fields
  return framed;
}

/** Cuts size-prefixed frames out of a byte stream; each frame handed out without its size. */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The size of the frame being gathered, once its 4 bytes are in; -1 before. */
  private size = -1;

  /** Takes a chunk of the stream; hands each frame completed to `onFrame`, in order. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.size < 0) {
        if (this.buffered < 4) return;
        this.size = this.take(4).readInt32BE(0);
        if (this.size < 4 || this.size > MAX_RESPONSE_BYTES) throw new MalformedKafkaError(`a frame of ${this.size} bytes is not a Kafka response`);
      }
      if (this.buffered < this.size) return;
      const frame = this.take(this.size);
      this.size = -1;
      onFrame(frame);
    }
  }

  /** The next `bytes` bytes: a view when the first chunk holds them, else gathered into one buffer. */
  private take(bytes: number): Buffer {
    this.buffered -= bytes;
    const first = this.chunks[0]!;
    if (first.byteLength >= bytes) {
      if (first.byteLength === bytes) this.chunks.shift();
      else this.chunks[0] = first.subarray(bytes);
      return first.subarray(0, bytes);
    }
    const gathered = Buffer.allocUnsafe(bytes);
    let at = 0;
    while (at < bytes) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.byteLength, bytes - at);
      chunk.copy(gathered, at, 0, used);
      at += used;
      if (used === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return gathered;
  }
}
