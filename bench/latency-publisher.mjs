// Publishes `rate` messages a second for `seconds` (on average), each carrying its send time (a monotonic clock
// shared by every process of the machine), for latency-consumer.mjs to measure.
import { createFactory } from '../dist/index.js';

const [topic, rate, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const factory = createFactory({ environment: 'local' });
const publisher = await factory.getPublisherFactory().create(topic);
const total = rate * seconds;
const start = process.hrtime.bigint();
for (let i = 0; i < total; i++) {
  const due = start + BigInt(Math.round((i * 1e9) / rate));
  // Sleeps until due, never spins: a busy wait would take one of the machine's cores from zps.
  // The latency runs from the time each message is really sent, so timer jitter does not count.
  const wait = Number(due - process.hrtime.bigint()) / 1e6;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  await publisher.publish(null, { i, sent: String(process.hrtime.bigint()) });
}
await factory.close();
