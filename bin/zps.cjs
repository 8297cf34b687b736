#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry without its ES module loader, which with the
// CLI bundled into one file (scripts/bundle-cli.mjs) keeps `zps count` close to `node -e 0`.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Scripts ask for the version in loops: answer it without loading the CLI.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  runBundle(require('node:path').join(__dirname, '..', 'dist', 'zps.cjs'));
}

/**
 * Runs the bundle as Node's `require` would, with V8's code cache: compiling ~600 KB of JavaScript
 * is most of what a one-shot command costs over `node -e 0`. The cache of the bundle is V8's code
 * after a run (the functions that ran included), kept per bundle (the hash on its first line) and
 * Node version; V8 refuses a cache that does not match, and a refused, missing or unreadable cache
 * only means compiling as without one. Node 22+ also caches the modules the bundle loads (kafkajs).
 */
function runBundle(file) {
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const Module = require('node:module');
  const source = fs.readFileSync(file, 'utf8');
  const dir = cacheDirectory(fs, path);
  if (dir) {
    // V8 checks that a code cache fits the source, the V8 version and its flags, but checks its
    // bytes only with this flag (a damaged cache crashed the process): caches are written and read with it.
    require('node:v8').setFlagsFromString('--verify-snapshot-checksum');
    Module.enableCompileCache?.(path.join(dir, 'modules'));
  }
  const hash = /^\/\/ zps bundle ([0-9a-f]+)\n/.exec(source)?.[1];
  const cacheFile = dir && hash && path.join(dir, `bundle-${hash}-${process.version}-${process.arch}.v8`);
  const cachedData = cacheFile && readCache(fs, cacheFile);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, zpsImport) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCache(fs, path, script, cacheFile));
  const bundleModule = new Module(file, module);
  bundleModule.filename = file;
  bundleModule.loaded = true;
  // The bundle imports packages (bin/ and dist/ resolve them alike) and absolute URLs: through this import().
  const zpsImport = (specifier) => import(specifier);
  script.runInThisContext()(bundleModule.exports, Module.createRequire(file), bundleModule, file, path.dirname(file), zpsImport);
}

/** $XDG_CACHE_HOME/zps or ~/.cache/zps, made if missing; undefined (no cache) when it cannot be. */
function cacheDirectory(fs, path) {
  const base = process.env.XDG_CACHE_HOME || path.join(require('node:os').homedir(), '.cache');
  if (!path.isAbsolute(base)) return undefined;
  const dir = path.join(base, 'zps');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
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

/** Writes the code cache whole or not at all (a rename), and keeps the caches of the last few bundles. */
function saveCache(fs, path, script, cacheFile) {
  try {
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, script.createCachedData());
    fs.renameSync(temporary, cacheFile);
    const dir = path.dirname(cacheFile);
    const others = fs
      .readdirSync(dir)
      .filter((name) => name.startsWith('bundle-') && name.endsWith('.v8') && path.join(dir, name) !== cacheFile)
      .map((name) => ({ file: path.join(dir, name), at: fs.statSync(path.join(dir, name)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { file } of others.slice(3)) fs.rmSync(file, { force: true });
  } catch {
    // an unwritable cache directory: the next run compiles again
  }
}
