import { writeSync } from 'node:fs';
import { copyUnlessWhitespace } from '../wire/json-text.js';

const INITIAL_BYTES = 64 * 1024;
/** How long an abandoned write may wait to finish a line cut short. */
const FINISH_MS = 1_000;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** A write handed to the stream, and how its flush resolves. */
interface Flight {
  bytes: Buffer;
  /** Bytes the stream took, once abandoned. */
  taken: number;
  resolve: (taken: number) => void;
}

/**
 * Buffered stdout with backpressure and quiet handling of a closed pipe: `zps consume t | head -1`
 * must end with exit 0 and no message, after the command committed what it printed.
 */
export class Output {
  /** Output is gathered as bytes: values print from the bytes they are stored as. */
  private pending = Buffer.allocUnsafe(INITIAL_BYTES);
  private used = 0;
  private closedByReader = false;
  private abandoned = false;
  private tookAtOnce = true;
  /** The write the stream has not yet reported done, and how its flush resolves. */
  private inFlight: Flight | undefined;
  /** The write abandon() cut short. */
  private cut: Flight | undefined;
  private readonly closeListeners: Array<() => void> = [];

  /** A write that failed other than on a closed pipe (a full disk): the command ends, and says so. */
  failure: Error | undefined;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // once abandoned, the writes abandon() cancelled end in errors
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED' && !this.abandoned) this.failure ??= error;
      this.markClosed();
    });
  }

  /** True once the reader went away; commands stop producing output then. */
  get closed(): boolean {
    return this.closedByReader;
  }

  onClosed(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Queues text; it goes out at the next flush. */
  write(text: string): void {
    this.reserve(text.length * 3); // the most UTF-8 bytes a UTF-16 code unit takes
    this.used += this.pending.write(text, this.used);
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.pending.set(bytes, this.used);
    this.used += bytes.byteLength;
  }

  /**
   * Queues bytes [start, end) when they hold no whitespace, checked as they are copied (one pass);
   * false, and nothing queued, when they do.
   */
  writeUnlessWhitespace(bytes: Uint8Array, start: number, end: number): boolean {
    this.reserve(end - start);
    const copied = copyUnlessWhitespace(bytes, start, end, this.pending, this.used);
    if (copied < 0) return false;
    this.used += copied;
    return true;
  }

  /** One byte, a newline after a value say, without encoding a string for it. */
  writeByte(byte: number): void {
    this.reserve(1);
    this.pending[this.used++] = byte;
  }

  /** Bytes queued and not yet flushed. */
  get queued(): number {
    return this.used;
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /**
   * Writes what is queued; resolves once the stream took it (waiting for drain if it is full) with
   * the number of bytes it took: all of them, unless abandon() ended the wait first.
   */
  flush(): Promise<number> {
    const bytes = this.pending.subarray(0, this.used);
    this.used = 0;
    if (this.closedByReader || this.abandoned || bytes.byteLength === 0) return Promise.resolve(0);
    this.pending = Buffer.allocUnsafe(this.pending.byteLength); // the stream holds on to the old one
    return new Promise((resolve) => {
      const flight: Flight = { bytes, taken: 0, resolve };
      const taken = () => {
        if (this.inFlight === flight) this.inFlight = undefined;
        resolve(bytes.byteLength);
      };
      this.inFlight = flight;
      const ok = this.stream.write(bytes, taken);
      if (!ok) this.stream.once('drain', taken);
      this.tookAtOnce = this.unwritten() === 0;
    });
  }

  /**
   * Whether the stream took the last flush at once: its reader keeps up. When it does not, a
   * writer that must know what reached the reader writes at most PIPE_BUF bytes at a time, which
   * a pipe takes whole or not at all.
   */
  get keptUp(): boolean {
    return this.tookAtOnce;
  }

  /**
   * Ctrl-C: nothing more is written. A flush waiting for the stream resolves now with the bytes of
   * it the stream took so far, and the rest is cancelled (the process then exits without draining
   * stdout: Io.dropUnwritten); finishAbandoned() may still write up to the end of a line cut short.
   */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.used = 0;
    const flight = this.inFlight;
    this.inFlight = undefined;
    if (!flight) return;
    const unwritten = Math.min(flight.bytes.byteLength, this.unwritten());
    // Closing the handle cancels its queued writes (libuv leaves fds 0-2 open).
    if (unwritten > 0) this.handle()?.close?.();
    flight.taken = flight.bytes.byteLength - unwritten;
    this.cut = flight;
    flight.resolve(flight.taken);
  }

  /**
   * Writes the abandoned flush's bytes up to `end` (where a line cut short ends) straight to the
   * file descriptor, waiting up to FINISH_MS for a full pipe to take them; resolves the bytes of
   * the flush taken now.
   */
  finishAbandoned(end: number): number {
    const cut = this.cut;
    const fd = (this.stream as { fd?: number }).fd;
    if (!cut || typeof fd !== 'number') return cut?.taken ?? 0;
    const deadline = Date.now() + FINISH_MS;
    while (cut.taken < end && Date.now() < deadline) {
      try {
        cut.taken += writeSync(fd, cut.bytes, cut.taken, end - cut.taken);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break;
        Atomics.wait(PAUSE, 0, 0, 5);
      }
    }
    return cut.taken;
  }

  /** Bytes handed to the stream and not yet written: what its handle (a pipe's, libuv's) still queues. */
  private unwritten(): number {
    const queued = this.handle()?.writeQueueSize;
    return typeof queued === 'number' ? queued : ((this.stream as { writableLength?: number }).writableLength ?? 0);
  }

  /** The libuv handle under a pipe, socket or terminal stream (none under files and streams in memory). */
  private handle(): { writeQueueSize?: number; close?: () => void } | undefined {
    return (this.stream as { _handle?: { writeQueueSize?: number; close?: () => void } })._handle;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.pending.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(this.pending.byteLength * 2, this.used + bytes));
    this.pending.copy(grown, 0, 0, this.used);
    this.pending = grown;
  }

  private markClosed(): void {
    if (this.closedByReader) return;
    this.closedByReader = true;
    for (const listener of this.closeListeners) listener();
  }
}
