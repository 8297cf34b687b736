// Receives the latency probes of latency-publisher.mjs in another process and prints percentiles.
import { createFactory } from '../dist/index.js';

const [topic, expected] = [process.argv[2], Number(process.argv[3])];
const factory = createFactory({ environment: 'local', consumerGroup: `latency-${process.pid}` });
const latencies = [];
let done;
const finished = new Promise((resolve) => (done = resolve));
await factory
  .getConsumerFactory()
  .create()
  .consume(topic, (message) => {
    latencies.push(Number(process.hrtime.bigint() - BigInt(message.sent)) / 1e6);
    if (latencies.length >= expected) done();
  });
process.stdout.write('ready\n');
await finished;
await factory.close();
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
process.stdout.write(`${JSON.stringify({ count: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] })}\n`);
