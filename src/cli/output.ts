const INITIAL_BYTES = 64 * 1024;

/**
 * Buffered stdout with backpressure and quiet handling of a closed pipe: `zps consume t | head -1`
 * must end with exit 0 and no message, after the command committed what it printed.
 */
export class Output {
  /** Output is gathered as bytes: values print from the bytes they are stored as. */
  private pending = Buffer.allocUnsafe(INITIAL_BYTES);
  private used = 0;
  private closedByReader = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.markClosed();
      else throw error;
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

  /** Writes what is queued; resolves once the stream took it (waiting for drain if it is full). */
  flush(): Promise<void> {
    const bytes = this.pending.subarray(0, this.used);
    this.used = 0;
    if (this.closedByReader || bytes.byteLength === 0) return Promise.resolve();
    this.pending = Buffer.allocUnsafe(this.pending.byteLength); // the stream holds on to the old one
    return new Promise((resolve) => {
      const ok = this.stream.write(bytes, () => resolve());
      if (!ok) this.stream.once('drain', () => resolve());
    });
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
