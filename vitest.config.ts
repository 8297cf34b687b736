import { defineConfig } from 'vitest/config';

/**
 * Three projects, by what they need: `unit` no process and no Java (seconds; npm run test:unit),
 * `local` the built package, daemons and CLI processes, `kafka` the Kafka broker and schema
 * registry that only its global setup starts (fetched from Maven Central on first use).
 */
export default defineConfig({
  test: {
    // Two cores: two test files at a time, each spawning real daemons and CLI processes.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'local', include: ['test/local/**/*.test.ts'] } },
      { extends: true, test: { name: 'kafka', include: ['test/kafka/**/*.test.ts'], globalSetup: ['test/kafka/servers.setup.ts'] } },
    ],
  },
});
