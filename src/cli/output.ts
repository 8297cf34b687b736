/**
 * Buffered stdout with backpressure and quiet handling of a closed pipe: `zps consume t | head -1`
 * must end with exit 0 and no message, after the command committed what it printed.
 */
export class Output {
  private pending = '';
  private closedByReader = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
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
    this.pending += text;
  }

  /** Characters queued and not yet flushed. */
  get queued(): number {
    return this.pending.length;
  }

  line(text: string): void {
    this.write(text + '\n');
  }

  /** Writes what is queued; resolves once the stream took it (waiting for drain if it is full). */
  flush(): Promise<void> {
    if (this.closedByReader) {
      this.pending = '';
      return Promise.resolve();
    }
    const text = this.pending;
    this.pending = '';
    if (text.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const ok = this.stream.write(text, () => resolve());
      if (!ok) this.stream.once('drain', () => resolve());
    });
  }

  private markClosed(): void {
    if (this.closedByReader) return;
    this.closedByReader = true;
    for (const listener of this.closeListeners) listener();
  }
}
