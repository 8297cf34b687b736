/**
 * Prints every Kafka request a process sends and every answer it gets, with the milliseconds since
 * the process started and the connection (its local port), on stderr: what a command waits for,
 * and what goes together. Loaded before zps, whatever opens the connections:
 *   NODE_OPTIONS='--require ./bench/trace-requests.cjs' zps count orders
 * It reads the plaintext frames a socket is given (TLS included, before encryption). Not for
 * production: it slows every write a little.
 */
'use strict';
const net = require('node:net');

const NAMES = {
  0: 'Produce',
  1: 'Fetch',
  2: 'ListOffsets',
  3: 'Metadata',
  8: 'OffsetCommit',
  9: 'OffsetFetch',
  10: 'FindCoordinator',
  11: 'JoinGroup',
  12: 'Heartbeat',
  13: 'LeaveGroup',
  14: 'SyncGroup',
  15: 'DescribeGroups',
  16: 'ListGroups',
  17: 'SaslHandshake',
  18: 'ApiVersions',
  19: 'CreateTopics',
  20: 'DeleteTopics',
  21: 'DeleteRecords',
  22: 'InitProducerId',
  32: 'DescribeConfigs',
  36: 'SaslAuthenticate',
  37: 'CreatePartitions',
  42: 'DeleteGroups',
  44: 'IncrementalAlterConfigs',
  47: 'OffsetDelete',
};

const say = (line) => process.stderr.write(`[kafka ${performance.now().toFixed(1)} ms] ${line}\n`);

/** Per socket: the api of each correlation id in flight, bytes of a request frame still to come, the answer bytes gathered. */
const traced = new WeakMap();

/** A socket's first write tells whether it speaks Kafka: a request header's api key and version (HTTP's "POST /" does not). */
function looksLikeKafka(chunk) {
  return chunk.length >= 12 && chunk.readInt32BE(0) >= 8 && chunk.readInt16BE(4) in NAMES && chunk.readInt16BE(6) >= 0 && chunk.readInt16BE(6) < 32;
}

function requested(socket, chunk) {
  let s = traced.get(socket);
  if (!s) {
    s = looksLikeKafka(chunk) ? { apis: new Map(), skip: 0, answer: Buffer.alloc(0) } : null;
    traced.set(socket, s);
    if (s) socket.prependListener('data', (data) => answered(socket, s, data));
  }
  if (!s) return;
  let at = Math.min(s.skip, chunk.length);
  s.skip -= at;
  while (at + 12 <= chunk.length) {
    const size = chunk.readInt32BE(at);
    const key = chunk.readInt16BE(at + 4);
    const correlationId = chunk.readInt32BE(at + 8);
    s.apis.set(correlationId, key);
    say(`${socket.localPort} -> ${NAMES[key] ?? `api ${key}`} v${chunk.readInt16BE(at + 6)} #${correlationId} (${size} B)`);
    const end = at + 4 + size;
    s.skip = Math.max(0, end - chunk.length);
    at = end;
  }
}

function answered(socket, s, data) {
  s.answer = s.answer.length === 0 ? data : Buffer.concat([s.answer, data]);
  while (s.answer.length >= 8 && s.answer.length >= 4 + s.answer.readInt32BE(0)) {
    const size = s.answer.readInt32BE(0);
    const correlationId = s.answer.readInt32BE(4);
    const key = s.apis.get(correlationId);
    s.apis.delete(correlationId);
    say(`${socket.localPort} <- ${NAMES[key] ?? `api ${key}`} #${correlationId} (${size} B)`);
    s.answer = s.answer.subarray(4 + size);
  }
}

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) requested(this, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return write.call(this, chunk, ...rest);
};
process.on('exit', () => say('exit'));
