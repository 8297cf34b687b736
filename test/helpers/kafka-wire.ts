import { connect, type Socket } from 'node:net';
import { SERVED_APIS } from '../../dist/daemon/kafka/apis.js';
import { Reader, Writer } from '../../dist/wire/kafka/bytes.js';

/**
 * A bare Kafka connection for tests that must say exactly what goes on the wire (duplicates,
 * garbage): requests written with the compiled definitions, responses read back by correlation id.
 */
export class KafkaWire {
  /** Bytes received and not yet read as frames: joined once a whole frame is there (a large frame comes in many chunks). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Requests waiting for their response, by correlation id. */
  private readonly waiting = new Map<number, (frame: Buffer | undefined) => void>();
  /** A raw write waiting for whatever frame comes next. */
  private rawWaiting: ((frame: Buffer | undefined) => void) | undefined;
  private correlation = 0;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
      for (;;) {
        if (this.buffered < 4) break;
        if (this.chunks[0]!.byteLength < 4) this.chunks = [Buffer.concat(this.chunks)];
        const size = this.chunks[0]!.readInt32BE(0);
        if (this.buffered < 4 + size) break;
        const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
        const frame = bytes.subarray(4, 4 + size);
        this.chunks = bytes.byteLength > 4 + size ? [bytes.subarray(4 + size)] : [];
        this.buffered -= 4 + size;
        const raw = this.rawWaiting;
        this.rawWaiting = undefined;
        if (raw) raw(frame);
        else this.waiting.get(frame.readInt32BE(0))?.(frame);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.rawWaiting?.(undefined);
      for (const resolve of this.waiting.values()) resolve(undefined);
    });
  }

  static open(address: string): Promise<KafkaWire> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = connect({ host: host!, port: Number(port) }, () => resolve(new KafkaWire(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request of `apiKey` in `version`; resolves with the response, or undefined when the connection closed. */
  async request(apiKey: number, version: number, body: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const api = SERVED_APIS.get(apiKey)!;
    const flexible = version >= api.request.flexible.lowest;
    const writer = new Writer(256);
    const sizeAt = writer.reserve32();
    const correlationId = ++this.correlation;
    writer.int16(apiKey).int16(version).int32(correlationId).string('zps-test');
    if (flexible) writer.uvarint(0);
    api.request.write(writer, body, version);
    const frame = writer.finish();
    writer.setInt32At(sizeAt, frame.byteLength - 4);
    const response = new Promise<Buffer | undefined>((resolve) => (this.closed ? resolve(undefined) : this.waiting.set(correlationId, resolve)));
    this.socket.write(frame);
    const bytes = await response;
    this.waiting.delete(correlationId);
    if (!bytes) return undefined;
    const reader = new Reader(bytes, 4);
    if (flexible && apiKey !== 18) reader.uvarint(); // response header tagged fields (none)
    return api.response.read(reader, version);
  }

  /** One partition's answer to a Fetch (v11) from `fetchOffset`, within the request's and the partition's byte limits. */
  async fetchPartition(
    topic: string,
    fetchOffset: number,
    limits: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number },
  ): Promise<{ errorCode: number; records: Buffer }> {
    const fetched = await this.request(1, 11, {
      replicaId: -1,
      maxWaitMs: limits.maxWaitMs,
      minBytes: 1,
      maxBytes: limits.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: limits.partitionMaxBytes }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    return (fetched!.responses as Array<{ partitions: Array<{ errorCode: number; records: Buffer }> }>)[0]!.partitions[0]!;
  }

  /** Writes raw bytes; resolves with the next frame, or undefined when the daemon closed the connection. */
  raw(bytes: Buffer): Promise<Buffer | undefined> {
    const response = new Promise<Buffer | undefined>((resolve) => (this.closed ? resolve(undefined) : (this.rawWaiting = resolve)));
    this.socket.write(bytes);
    return response;
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}
