/**
 * The daemon's wire protocol: length-prefixed frames, each a JSON message plus a binary section
 * holding every Buffer in it (values travel as raw bytes, not base64).
 *
 *   frame := u32 bodyLength, body
 *   body  := u32 jsonLength, json (UTF-8), attachments
 *
 * A Buffer inside the message is written to the attachments and replaced in the JSON by
 * {"$b":[start,length]}; record lists (produce, fetch, poll) travel as one such Buffer each, in the
 * binary layout of src/wire/daemon-records.ts. Requests are {id, op, args}; replies {id, result} or {id, error}.
 * The first request on a connection must be `hello`; `hello` and `shutdown` never change shape,
 * so any version of zps can recognise and replace a daemon speaking another protocol.
 */

import type { BrokerStats } from '../memory/broker.js';
import type { Position, TopicSettings } from '../memory/service.js';
import type { GroupInfo, PartitionOffsets } from '../pubsub/driver.js';
import type { ErrorCode, ErrorReason } from '../pubsub/errors.js';
import type { AckRun } from '../records/record-batch.js';
import type { ClusterDescription, StartOffset, TopicChange, TopicSummary } from '../pubsub/types.js';

export const PROTOCOL_VERSION = 9;

/** Larger frames close the connection: no legitimate batch comes near it. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** A long poll's limits on the wire (its end is a `cancel` request naming it). */
export interface WireWait {
  maxRecords: number;
  maxBytes: number;
  waitMs: number;
}

/** One partition's records as one binary attachment (src/wire/daemon-records.ts). */
export interface EncodedBatch {
  topic: string;
  partition: number;
  records: Buffer;
}

export interface Hello {
  protocol: number;
  version: string;
  pid: number;
}

export interface DaemonStatus {
  pid: number;
  version: string;
  protocol: number;
  startedAt: number;
  socket: string;
  /** The Kafka listener's address, or null without one. */
  kafka: string | null;
  stats: BrokerStats;
  /** Its retention per partition, as it was started with (null: none). */
  retention: { messages: number | null; bytes: number | null };
  requests: number;
  /** Commands run for clients (src/cli/one-shot.ts). */
  commandsRun: number;
  /** Those of them running now. */
  commandsRunning: number;
  rssBytes: number;
}

/**
 * Every operation: its arguments and its result. The BrokerService's methods, with record lists as
 * binary attachments, and the daemon's own (hello, status, shutdown, cancel). Client and server
 * are both typed by this table.
 */
export interface Operations {
  hello: { args: [{ protocol: number; version: string }]; result: Hello };
  produce: { args: [topic: string, records: Buffer]; result: AckRun[] };
  createTopic: { args: [topic: string, partitions: number]; result: null };
  partitionOffsets: { args: [topic: string, atTime?: number]; result: PartitionOffsets[] | null };
  fetch: { args: [topic: string, positions: Position[], wait: WireWait]; result: EncodedBatch[] };
  listTopics: { args: []; result: TopicSummary[] };
  committed: { args: [group: string, topic: string]; result: Position[] };
  listGroups: { args: []; result: string[] };
  describeGroup: { args: [group: string]; result: GroupInfo | null };
  reset: { args: [topics?: string[]]; result: null };
  setCommittedOffsets: { args: [group: string, topic: string, offsets: Position[]]; result: null };
  deleteGroup: { args: [group: string]; result: null };
  deleteGroupOffsets: { args: [group: string, topic: string]; result: null };
  cluster: { args: []; result: ClusterDescription };
  join: { args: [group: string, topic: string, start: StartOffset]; result: string };
  poll: { args: [memberId: string, commits: Position[], wait: WireWait]; result: { batches: EncodedBatch[]; revoked: number[]; positions: Position[] } };
  release: { args: [memberId: string, commits: Position[], partitions: number[]]; result: null };
  leave: { args: [memberId: string, commits: Position[]]; result: null };
  stats: { args: []; result: BrokerStats };
  // administration: topics
  createTopicWith: { args: [topic: string, partitions: number, configs: Record<string, string>]; result: boolean };
  alterTopic: { args: [topic: string, change: TopicChange]; result: null };
  deleteTopic: { args: [topic: string]; result: boolean };
  topicSettings: { args: [topic: string]; result: TopicSettings | null };
  status: { args: []; result: DaemonStatus };
  shutdown: { args: []; result: null };
  /** Ends the long poll of request `id` early; has no reply of its own. */
  cancel: { args: [id: number]; result: never };
}

export type Operation = keyof Operations;

export interface Request<Op extends Operation = Operation> {
  id: number;
  op: Op;
  args: Operations[Op]['args'];
}

export interface WireError {
  message: string;
  code?: ErrorCode;
  retriable?: boolean;
  reason?: ErrorReason;
  hint?: string;
}

export interface Reply {
  id: number;
  result?: unknown;
  error?: WireError;
}

export class ProtocolError extends Error {}

export function encodeFrame(message: unknown): Buffer {
  const attachments: Buffer[] = [];
  let attachmentBytes = 0;
  // Buffers are swapped for references before JSON.stringify, which would otherwise call
  // Buffer#toJSON and spell every byte out as a number.
  const detach = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) {
      const ref = { $b: [attachmentBytes, value.byteLength] };
      attachments.push(value);
      attachmentBytes += value.byteLength;
      return ref;
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map(detach);
    const copy: Record<string, unknown> = {};
    for (const key in value) copy[key] = detach((value as Record<string, unknown>)[key]);
    return copy;
  };
  const json = JSON.stringify(detach(message));
  const jsonBytes = Buffer.byteLength(json);
  const frame = Buffer.allocUnsafe(8 + jsonBytes + attachmentBytes);
  frame.writeUInt32BE(4 + jsonBytes + attachmentBytes, 0);
  frame.writeUInt32BE(jsonBytes, 4);
  frame.write(json, 8);
  let at = 8 + jsonBytes;
  for (const attachment of attachments) {
    attachment.copy(frame, at);
    at += attachment.byteLength;
  }
  return frame;
}

/** Splits a byte stream into decoded messages; throws ProtocolError on anything malformed. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const messages: unknown[] = [];
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.byteLength >= 4 ? this.chunks[0]! : this.gather();
      const bodyLength = head.readUInt32BE(0);
      if (bodyLength < 4 || bodyLength > this.maxFrameBytes) {
        throw new ProtocolError(`frame of ${bodyLength} bytes is out of bounds`);
      }
      if (this.buffered < 4 + bodyLength) break;
      const frame = this.gather();
      const body = frame.subarray(4, 4 + bodyLength);
      const rest = frame.subarray(4 + bodyLength);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.buffered = rest.byteLength;
      messages.push(decodeBody(body));
    }
    return messages;
  }

  private gather(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }
}

function decodeBody(body: Buffer): unknown {
  const jsonLength = body.readUInt32BE(0);
  if (jsonLength > body.byteLength - 4) throw new ProtocolError('JSON section overruns its frame');
  const attachments = body.subarray(4 + jsonLength);
  const text = body.toString('utf8', 4, 4 + jsonLength);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw new ProtocolError('frame is not valid JSON');
  }
  if (message === null || typeof message !== 'object') throw new ProtocolError('frame is not a message object');
  // Only frames that mention a reference are walked (a bad reference must fail, not pass as an object).
  return text.includes('"$b"') ? attach(message, attachments) : message;
}

/** Puts the attachment slices back where the JSON holds {"$b": [start, length]}. */
function attach(value: unknown, attachments: Buffer): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = attach(value[i], attachments);
    return value;
  }
  const ref = (value as { $b?: unknown }).$b;
  if (Array.isArray(ref)) {
    const [start, length] = ref as [number, number];
    if (!(start >= 0 && length >= 0 && start + length <= attachments.byteLength)) {
      throw new ProtocolError('attachment reference out of bounds');
    }
    return attachments.subarray(start, start + length);
  }
  for (const key in value) (value as Record<string, unknown>)[key] = attach((value as Record<string, unknown>)[key], attachments);
  return value;
}

/**
 * The first bytes of a connection that asks the daemon to run a command (src/cli/one-shot.ts, for
 * bin/zps.cjs): never those of a frame (its length would pass MAX_FRAME_BYTES).
 */
export const ONE_SHOT_GREETING = 'ZPS-RUN 1\n';
