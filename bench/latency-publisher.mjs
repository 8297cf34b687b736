// Publishes `rate` messages a second for `seconds`, each carrying its send time (a monotonic clock
// shared by every process of the machine), for latency-consumer.mjs to measure.
import { createFactory } from '../dist/index.js';

const [topic, rate, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const factory = createFactory({ environment: 'local' });
const publisher = await factory.getPublisherFactory().create(topic);
const total = rate * seconds;
const start = process.hrtime.bigint();
for (let i = 0; i < total; i++) {
  const due = start + BigInt(Math.round((i * 1e9) / rate));
  for (;;) {
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    if (wait <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait - 1)));
    if (wait < 2) while (process.hrtime.bigint() < due); // the last millisecond, precisely
  }
  await publisher.publish(null, { i, sent: String(process.hrtime.bigint()) });
}
await factory.close();
