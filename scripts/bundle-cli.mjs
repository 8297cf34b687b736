// Bundles the CLI (tsc's dist/cli/main.js and everything it imports, commander included) into one
// CommonJS file, dist/zps.cjs, which bin/zps.cjs requires. Node 20 loads ES modules one file at a
// time through an asynchronous loader that a CommonJS entry does not even start: one CommonJS
// file brings `zps count` from ~95 ms to ~45 ms over `node -e 0` (bench/RESULTS.md).
// Packages that only some commands load (kafkajs, the registry client, protobufjs, chalk, ora, AWS's
// MSK IAM signer) stay outside and are still imported on demand; so is smol-toml, which
// src/contexts/file.ts requires only when a contexts file exists. The library (dist/index.js) and
// the daemon stay unbundled. Node's built-in modules that only some commands use (child processes,
// crypto, TLS, HTTP for the registry and OAuth, prompts) cost ~8 ms to load: the bundle requires
// them on first use, through a proxy (the bundle reads them as `(0, node_tls.createSecureContext)(...)`).
// Its first line names a hash of its content: bin/zps.cjs keys V8's code
// cache for the bundle by it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('../', import.meta.url));
const external = ['kafkajs', '@kafkajs/confluent-schema-registry', 'protobufjs', 'chalk', 'ora', 'fzstd', 'snappyjs', 'aws-msk-iam-sasl-signer-js'];

const bundle = await rolldown({
  input: `${root}dist/cli/main.js`,
  platform: 'node',
  external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
  logLevel: 'warn',
});
const file = `${root}dist/zps.cjs`;
await bundle.write({ file, format: 'cjs', codeSplitting: false });
await bundle.close();
const lazyBuiltins = ['node:child_process', 'node:crypto', 'node:tls', 'node:http', 'node:https', 'node:readline/promises'];
let code = readFileSync(file, 'utf8');
for (const id of lazyBuiltins) {
  // rolldown's top-level `let node_x = require("node:x")`, and commander's own require of child_process
  const pattern = new RegExp(`((?:let|const) \\w+ ?= ?)require\\("${id}"\\)`, 'g');
  if (!pattern.test(code)) throw new Error(`bundle-cli: no require of ${id} to make lazy`);
  code = code.replace(pattern, `$1lazyBuiltin("${id}");`);
}
// bin/zps.cjs compiles the bundle with vm.Script (for V8's code cache), where Node 20 refuses import()
// without --experimental-vm-modules: it passes its own import() as zpsImport, which the bundle's
// import() calls go through (a bundle required plainly keeps import()).
code = code.replace(/(?<![\w$.])import\(/g, 'importModule(');
code =
  `const importModule = typeof zpsImport === "function" ? zpsImport : (specifier) => import(specifier);\n` +
  `const lazyBuiltin = (id) => {\n\tlet loaded;\n\treturn new Proxy({}, { get: (_, key) => (loaded ??= require(id))[key] });\n};\n${code}`;
writeFileSync(file, `// zps bundle ${createHash('sha256').update(code).digest('hex').slice(0, 16)}\n${code}`);
