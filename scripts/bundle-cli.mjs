// Bundles the CLI (tsc's dist/cli/main.js and everything it imports, commander included) into one
// CommonJS file, dist/zps.cjs, which bin/zps.cjs requires. Node 20 loads ES modules one file at a
// time through an asynchronous loader that a CommonJS entry does not even start: one CommonJS
// file brings `zps count` from ~95 ms to ~45 ms over `node -e 0` (bench/RESULTS.md).
// Packages that only some commands load (kafkajs, the registry client, protobufjs, chalk, ora, AWS's
// MSK IAM signer) stay outside and are still imported on demand; so is smol-toml, which
// src/contexts/file.ts requires only when a contexts file exists. The library (dist/index.js) and
// the daemon stay unbundled.
import { rolldown } from 'rolldown';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const external = ['kafkajs', '@kafkajs/confluent-schema-registry', 'protobufjs', 'chalk', 'ora', 'fzstd', 'snappyjs', 'aws-msk-iam-sasl-signer-js'];

const bundle = await rolldown({
  input: `${root}dist/cli/main.js`,
  platform: 'node',
  external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
  logLevel: 'warn',
});
await bundle.write({ file: `${root}dist/zps.cjs`, format: 'cjs', codeSplitting: false });
await bundle.close();
