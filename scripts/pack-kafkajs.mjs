// Packs kafkajs's modules (the ones its index.js reaches, lazily required ones included) into one
// file, dist/kafkajs.cjs: loading kafkajs module by module costs Node ~140 path resolutions, file
// reads and compilations (~50 ms on Node 20), one file costs one (and V8's code cache can keep it:
// bin/zps.cjs). It is a pack, not a bundle: src/kafka/packed-kafkajs.ts registers each module in
// require.cache under its real file name as it runs, so a module is the same object whether the
// pack or a plain require() reaches it (zps's fixes in src/kafka/internals.ts patch kafkajs's
// modules by file name). Every require() in kafkajs names a literal path; one that is not in the
// pack (a Node built-in, its package.json) goes to Node's require.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const kafkajsDir = dirname(createRequire(`${root}package.json`).resolve('kafkajs/package.json'));
const { version } = JSON.parse(readFileSync(join(kafkajsDir, 'package.json'), 'utf8'));

const modules = new Map(); // path inside kafkajs -> { source, requires: { request: path inside kafkajs } }
const pending = ['index.js'];
while (pending.length > 0) {
  const name = pending.pop();
  if (modules.has(name)) continue;
  const file = join(kafkajsDir, name);
  const source = readFileSync(file, 'utf8');
  const requires = {};
  for (const [, request] of source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    if (!request.startsWith('.')) continue; // a Node built-in (kafkajs depends on no package)
    const target = relative(kafkajsDir, createRequire(file).resolve(request));
    if (target.startsWith('..')) throw new Error(`pack-kafkajs: ${name} requires ${request}, outside kafkajs`);
    if (!target.endsWith('.js')) continue; // its package.json
    requires[request] = target;
    pending.push(target);
  }
  modules.set(name, { source, requires });
}

const entries = [...modules].sort(([a], [b]) => a.localeCompare(b));
const code =
  `// kafkajs ${version}, packed by scripts/pack-kafkajs.mjs (MIT License, node_modules/kafkajs/LICENSE)\n` +
  `exports.version = ${JSON.stringify(version)};\n` +
  `exports.requires = ${JSON.stringify(Object.fromEntries(entries.map(([name, { requires }]) => [name, requires])))};\n` +
  `exports.modules = {\n${entries
    .map(([name, { source }]) => `${JSON.stringify(name)}: function (exports, require, module, __filename, __dirname) {\n${source}\n},`)
    .join('\n')}\n};\n`;
// the first line names a hash of the content, which keys its code cache (bin/zps.cjs)
writeFileSync(`${root}dist/kafkajs.cjs`, `// zps kafkajs ${createHash('sha256').update(code).digest('hex').slice(0, 16)}\n${code}`);
