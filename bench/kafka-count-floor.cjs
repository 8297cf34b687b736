// The floor of a one-shot Kafka count in Node, for the start rows: the fewest steps any Node client
// takes (net, one connection, ApiVersions, Metadata, then both ListOffsets at once), with requests
// written by hand and nothing else loaded. It asks the bootstrap broker for every partition's
// offsets, so it is right only on a one-broker cluster, as the bench's is.
// Usage: node bench/kafka-count-floor.cjs <host:port> <topic>   (prints the topic's record count)
const net = require('node:net');

const [address, topic] = process.argv.slice(2);
const [host, port] = address.split(':');
const name = Buffer.from(topic);

/** A request (header v1, client id "floor") around `body`. */
function request(apiKey, apiVersion, correlationId, body) {
  const header = Buffer.alloc(14);
  header.writeInt32BE(10 + 5 + body.length, 0);
  header.writeInt16BE(apiKey, 4);
  header.writeInt16BE(apiVersion, 6);
  header.writeInt32BE(correlationId, 8);
  header.writeInt16BE(5, 12);
  return Buffer.concat([header, Buffer.from('floor'), body]);
}

const topicName = () => Buffer.concat([Buffer.from([name.length >> 8, name.length & 255]), name]);
const int32 = (n) => Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);

/** ListOffsets v1 for `partitions` at `timestamp` (-2 earliest, -1 latest). */
function listOffsets(correlationId, partitions, timestamp) {
  const entries = partitions.map((p) => {
    const at = Buffer.alloc(12);
    at.writeInt32BE(p, 0);
    at.writeBigInt64BE(BigInt(timestamp), 4);
    return at;
  });
  return request(2, 1, correlationId, Buffer.concat([int32(-1), int32(1), topicName(), int32(partitions.length), ...entries]));
}

/** A cursor over a response body. */
function reader(body) {
  let at = 0;
  return {
    int16: () => body.readInt16BE((at += 2) - 2),
    int32: () => body.readInt32BE((at += 4) - 4),
    int64: () => body.readBigInt64BE((at += 8) - 8),
    skip: (n) => void (at += n),
  };
}

/** Metadata v4's partition ids of the one topic asked for. */
function partitionsOf(body) {
  const r = reader(body);
  const string = () => r.skip(Math.max(r.int16(), 0));
  r.int32(); // throttle time
  for (let brokers = r.int32(); brokers > 0; brokers--) {
    r.int32();
    string(); // host
    r.int32();
    string(); // rack
  }
  string(); // cluster id
  r.int32(); // controller id
  r.int32(); // one topic
  r.int16();
  string();
  r.skip(1); // is internal
  const partitions = [];
  for (let count = r.int32(); count > 0; count--) {
    r.int16();
    partitions.push(r.int32());
    r.int32(); // leader
    for (let arrays = 0; arrays < 2; arrays++) r.skip(4 * r.int32()); // replicas, in-sync
  }
  return partitions;
}

/** ListOffsets v1's offsets, summed. */
function offsetSum(body) {
  const r = reader(body);
  r.int32(); // one topic
  r.skip(r.int16());
  let sum = 0n;
  for (let count = r.int32(); count > 0; count--) {
    r.skip(4 + 2 + 8); // partition, error, timestamp
    sum += r.int64();
  }
  return sum;
}

const socket = net.connect(Number(port), host);
socket.setNoDelay(true);
let pending = Buffer.alloc(0);
const answers = [];
socket.write(request(18, 0, 0, Buffer.alloc(0)));
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
    answers.push(pending.subarray(8, 4 + pending.readInt32BE(0))); // past the size and correlation id
    pending = pending.subarray(4 + pending.readInt32BE(0));
    if (answers.length === 1) socket.write(request(3, 4, 1, Buffer.concat([int32(1), topicName(), Buffer.from([0])])));
    if (answers.length === 2) {
      const partitions = partitionsOf(answers[1]);
      socket.write(Buffer.concat([listOffsets(2, partitions, -2), listOffsets(3, partitions, -1)]));
    }
    if (answers.length === 4) {
      process.stdout.write(`${offsetSum(answers[3]) - offsetSum(answers[2])}\n`);
      socket.destroy();
    }
  }
});
