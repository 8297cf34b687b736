// Bundles the CLI (tsc's dist/cli/main.js and everything it imports, commander included) into
// CommonJS files: dist/zps.cjs, which bin/zps.cjs requires, and chunks dist/zps-<name>.cjs for what
// only some commands load, split at the code's dynamic imports (the Kafka driver, the local driver,
// the schema registry, Protobuf, the in-process broker, the daemon's start lock): a one-shot
// command reads and runs only the code it uses. Node 20 loads ES modules one file at a time through an
// asynchronous loader that a CommonJS entry does not even start: CommonJS brought `zps count` from
// ~95 ms to ~45 ms over `node -e 0` (bench/RESULTS.md).
// Packages that only some commands load (the registry client, protobufjs, chalk, ora, AWS's
// MSK IAM signer) stay outside and are still imported on demand; so is smol-toml, which
// src/contexts/file.ts requires only when a contexts file exists. The library (dist/index.js) and
// the daemon stay unbundled. Node's built-in modules that only some commands use (child processes,
// crypto, TLS, HTTP for the registry and OAuth, prompts, os for default paths, module for packages
// required by path, timers' promises for a connect's backoff) cost ~10 ms to load: the bundle requires
// them on first use, through a proxy (the bundle reads them as `(0, node_tls.createSecureContext)(...)`).
// Each file's first line names a hash of its content: bin/zps.cjs keys V8's code cache for it by it,
// and loads the chunks (zpsChunk) with that cache too.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist/`;
const external = ['@kafkajs/confluent-schema-registry', 'protobufjs', 'chalk', 'ora', 'fzstd', 'snappyjs', 'aws-msk-iam-sasl-signer-js'];

for (const name of readdirSync(dist)) if (/^zps(-.*)?\.cjs$/.test(name)) rmSync(`${dist}${name}`); // an earlier build's chunks
const bundle = await rolldown({
  input: `${root}dist/cli/main.js`,
  platform: 'node',
  external: (id) => external.some((name) => id === name || id.startsWith(`${name}/`)),
  logLevel: 'warn',
  // kafka/connection.ts imports wire/compression.js on demand, which the Kafka chunk holds anyway
  onLog: (level, log, handler) => (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT' ? undefined : handler(level, log)),
});
// a chunk loaded by a dynamic import is named after its module (zps-kafka-driver.cjs), a shared one by rolldown
const chunkFileNames = ({ facadeModuleId }) =>
  facadeModuleId?.startsWith(dist) ? `zps-${facadeModuleId.slice(dist.length, -'.js'.length).replaceAll('/', '-')}.cjs` : 'zps-[name].cjs';
// zps's small modules that the entry and the commands share are one chunk, zps-common.cjs, rather
// than rolldown's chunk per set of importers (each file a command loads costs reads and a compile);
// those of Kafka, the memory broker and the daemon stay in the chunks of the commands that load them.
const common = {
  name: 'common',
  minShareCount: 2,
  test: (id) => id.startsWith(dist) && !/^(kafka|memory|daemon|wire\/kafka)\//.test(id.slice(dist.length)),
};
const { output } = await bundle.write({
  dir: dist,
  format: 'cjs',
  entryFileNames: 'zps.cjs',
  chunkFileNames,
  codeSplitting: { groups: [common] },
  // without the code's comments (commander's JSDoc is a third of its size): less to read at each start
  comments: { legal: true, annotation: false, jsdoc: false },
});
await bundle.close();
const files = output.filter((chunk) => chunk.type === 'chunk').map((chunk) => chunk.fileName);
const code = new Map(files.map((name) => [name, readFileSync(`${dist}${name}`, 'utf8')]));

const lazyBuiltins = [
  'node:child_process',
  'node:crypto',
  'node:os',
  'node:module',
  'node:tls',
  'node:http',
  'node:https',
  'node:readline/promises',
  'node:timers/promises',
  'node:tty',
];
for (const id of lazyBuiltins) {
  // rolldown's top-level `let node_x = require("node:x")`, and commander's own require of child_process
  const pattern = new RegExp(`((?:let|const) \\w+ ?= ?)require\\("${id}"\\)`, 'g');
  if (![...code.values()].some((text) => pattern.test(text))) throw new Error(`bundle-cli: no require of ${id} to make lazy`);
  for (const [name, text] of code) code.set(name, text.replace(pattern, `$1lazyBuiltin("${id}");`));
}
// src/version.ts reads package.json (and makes file URLs) at each start: the bundle, built from this
// package.json, has its version as a literal.
const version = JSON.stringify(JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version);
const versionRead = /JSON\.parse\(\(0, node_fs\.readFileSync\)\([\w$.]*packageFile\("package\.json"\), "utf8"\)\)\.version/;
const versionFile = [...code.keys()].find((name) => versionRead.test(code.get(name)));
if (!versionFile) throw new Error('bundle-cli: no read of the version from package.json to replace');
code.set(versionFile, code.get(versionFile).replace(versionRead, version));
const build = createHash('sha256');
for (const [name, text] of [...code].sort(([a], [b]) => a.localeCompare(b))) {
  const loaded = text
    // bin/zps.cjs compiles the files with vm.Script (for V8's code cache), where Node 20 refuses import()
    // without --experimental-vm-modules: it passes its own import() as zpsImport, which the bundle's
    // import() calls go through (a bundle required plainly keeps import()).
    .replace(/(?<![\w$.])import\(/g, 'importModule(')
    // the files' requires of one another: through bin/zps.cjs's loader, with the code cache
    .replace(/(?<![\w$.])require\("(\.\/zps(?:-[\w-]+)?\.cjs)"\)/g, (_, file) => {
      if (!code.has(file.slice(2))) throw new Error(`bundle-cli: ${name} requires ${file}, not one of the bundle's files`);
      return `zpsChunk("${file}")`;
    });
  const body =
    `const importModule = typeof zpsImport === "function" ? zpsImport : (specifier) => import(specifier);\n` +
    `const zpsChunk = typeof zpsRequire === "function" ? (file) => zpsRequire(require("node:path").join(__dirname, file)) : require;\n` +
    `const lazyBuiltin = (id) => {\n\tlet loaded;\n\treturn new Proxy({}, { get: (_, key) => (loaded ??= require(id))[key] });\n};\n${loaded}`;
  // the cache's key: `bundle` for the entry, the chunk's name for a chunk (word characters only)
  const key = name === 'zps.cjs' ? 'bundle' : name.slice('zps-'.length, -'.cjs'.length).replace(/\W/g, '_');
  writeFileSync(`${dist}${name}`, `// zps ${key} ${createHash('sha256').update(body).digest('hex').slice(0, 16)}\n${body}`);
  build.update(body);
}
// The build's name (a hash of every file): the daemon runs a client's command only for the same build (src/daemon/one-shot.ts).
writeFileSync(`${dist}cli-build`, `${build.digest('hex').slice(0, 16)}\n`);
