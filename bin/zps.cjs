#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry without its ES module loader, which with the
// CLI bundled into one file (scripts/bundle-cli.mjs) keeps `zps count` close to `node -e 0`.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Scripts ask for the version in loops: answer it without loading the CLI.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  runBundle();
}

/**
 * Runs the bundle dist/zps.cjs as Node's `require` would, with V8's code cache: compiling ~600 KB
 * of JavaScript is most of what a local one-shot command costs over `node -e 0`. The bundle gets
 * this `require` (as zpsRequire) for kafkajs's pack, dist/kafkajs.cjs, which Kafka commands load.
 * Node 22+ also caches the modules they load otherwise.
 */
function runBundle() {
  const path = require('node:path');
  const Module = require('node:module');
  const file = path.join(__dirname, '..', 'dist', 'zps.cjs');
  const dir = cacheDirectory(path);
  if (dir) {
    // V8 checks that a code cache fits the source, the V8 version and its flags, but checks its
    // bytes only with this flag (a damaged cache crashed the process): caches are written and read with it.
    require('node:v8').setFlagsFromString('--verify-snapshot-checksum');
    Module.enableCompileCache?.(path.join(dir, 'modules'));
  }
  // The bundle imports packages (bin/ and dist/ resolve them alike) and absolute URLs: through this
  // import(), as Node 20 refuses import() in code compiled by vm.Script.
  const zpsImport = (specifier) => import(specifier);
  const zpsRequire = (packFile) => requireWithCodeCache(packFile, dir).exports;
  requireWithCodeCache(file, dir, { zpsImport, zpsRequire });
}

/**
 * A CommonJS file (one of zps's, whose first line names the hash of its content) run as a module,
 * compiled with the code cache of `dir` when there is one: V8's code after a run (the functions
 * that ran included), kept per file content and Node version. V8 refuses a cache that does not
 * match; a refused, missing or unreadable cache only means compiling as without one. `extra` are
 * more names the file's code sees, as `require` and `module`.
 */
function requireWithCodeCache(file, dir, extra = {}) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const Module = require('node:module');
  const source = fs.readFileSync(file, 'utf8');
  const hash = /^\/\/ zps (\w+) ([0-9a-f]+)\n/.exec(source);
  const cacheFile = dir && hash && path.join(dir, `${hash[1]}-${hash[2]}-${process.version}-${process.arch}.v8`);
  const cachedData = cacheFile && readCache(fs, cacheFile);
  const names = ['exports', 'require', 'module', '__filename', '__dirname', ...Object.keys(extra)];
  const script = new vm.Script(`(function (${names.join(', ')}) {${source}\n})`, { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCache(fs, path, script, cacheFile));
  const module = new Module(file);
  module.filename = file;
  module.loaded = true;
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file), ...Object.values(extra));
  return module;
}

/** $XDG_CACHE_HOME/zps or ~/.cache/zps, made if missing; undefined (no cache) when it cannot be. */
function cacheDirectory(path) {
  const base = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
  if (!path.isAbsolute(base)) return undefined;
  const dir = path.join(base, 'zps');
  try {
    require('node:fs').mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

/** The code cache kept in `file`, or undefined when there is none yet. */
function readCache(fs, file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the code cache whole or not at all (a rename), and keeps the caches of the last few builds of the file. */
function saveCache(fs, path, script, cacheFile) {
  try {
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, script.createCachedData());
    fs.renameSync(temporary, cacheFile);
    const [dir, name] = [path.dirname(cacheFile), path.basename(cacheFile)];
    const prefix = `${name.slice(0, name.indexOf('-'))}-`;
    const others = fs
      .readdirSync(dir)
      .filter((other) => other.startsWith(prefix) && other.endsWith('.v8') && other !== name)
      .map((other) => ({ file: path.join(dir, other), at: fs.statSync(path.join(dir, other)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { file } of others.slice(3)) fs.rmSync(file, { force: true });
  } catch {
    // an unwritable cache directory: the next run compiles again
  }
}
