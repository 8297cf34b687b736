#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry without its ES module loader, which with the
// CLI bundled into a few CommonJS files (scripts/bundle-cli.mjs) keeps `zps count` close to `node -e 0`.

/**
 * A code cache holds the functions that had run when it was made: those a command does not run
 * would still be compiled on each of its runs. So a cache names the commands it was made after
 * (the first word of their command lines), and the first run of another command makes it again,
 * with that command's functions too, up to MAX_COMMANDS (mistyped words stop adding there).
 */
const MAX_COMMANDS = 24;

/** The caches to write at exit (after the run, so that they hold the functions that ran). */
const unsaved = [];

/** The commands the local daemon may run for this process (src/cli/one-shot.ts says which it takes). */
const ONE_SHOTS = ['count', 'publish', 'consume'];

const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Scripts ask for the version in loops: answer it without loading the CLI.
  process.stdout.write(`${require('../package.json').version}\n`);
} else if (ONE_SHOTS.includes(argv[2]) && !process.env.ZPS_NO_DAEMON_RUN && !argv.some((arg) => arg.includes('\uFFFD'))) {
  // a script's one-shot, in local mode or on Kafka: the daemon, when one runs, has the CLI loaded
  // already (not for an argument Node could not read as UTF-8: the CLI tells, from this process's
  // /proc/self/cmdline, whether it was given so)
  require('./run-in-daemon.cjs').runInDaemon(runBundle);
} else {
  runBundle();
}

/**
 * Runs the bundle dist/zps.cjs as Node's `require` would, with V8's code cache: compiling the
 * JavaScript is most of what a local one-shot command costs over `node -e 0`. The bundle gets this
 * `require` (as zpsRequire) for its chunks, dist/zps-*.cjs, which it loads as commands need them.
 */
function runBundle() {
  const path = require('node:path');
  const dir = cacheDirectory(path);
  // Node 22+ caches the packages the bundle imports (protobufjs, the registry client, chalk...) too,
  // once enabled: at the first import, as node:module costs ~2 ms to load there.
  let moduleCache = dir && path.join(dir, 'modules');
  // The bundle imports packages (bin/ and dist/ resolve them alike) and absolute URLs: through this
  // import(), as Node 20 refuses import() in code compiled by vm.Script.
  const zpsImport = (specifier) => {
    if (moduleCache) require('node:module').enableCompileCache?.(moduleCache);
    moduleCache = undefined;
    return import(specifier);
  };
  const extra = { zpsImport, zpsRequire: (file) => requireWithCodeCache(file, dir, extra).exports };
  requireWithCodeCache(path.join(__dirname, '..', 'dist', 'zps.cjs'), dir, extra);
}

/**
 * A CommonJS file (one of zps's, whose first line names the hash of its content) run as a module,
 * compiled with the code cache of `dir` when there is one: V8's code after a run, kept per file
 * content and Node version. V8 refuses a cache that does not match; a refused, missing, damaged or
 * unreadable cache only means compiling as without one. `extra` are more names the file's code
 * sees, as `require` and `module`. As Node's require, it runs a file once, registered in
 * require.cache before it runs (the bundle's files require one another).
 */
function requireWithCodeCache(file, dir, extra) {
  const loaded = require.cache[file];
  if (loaded) return loaded;
  const fs = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const Module = module.constructor; // Node's CommonJS Module, without loading node:module (above)
  const source = fs.readFileSync(file, 'utf8');
  const hash = /^\/\/ zps (\w+) ([0-9a-f]+)\n/.exec(source);
  // by path too: V8 keeps the file name it was made with, and stack traces would name another checkout's
  const cacheFile = dir && hash && path.join(dir, `${hash[1]}-${hash[2]}-${pathHash(file)}-${process.version}-${process.arch}.v8`);
  const cache = cacheFile ? readCache(fs, cacheFile) : undefined;
  const names = ['exports', 'require', 'module', '__filename', '__dirname', ...Object.keys(extra)];
  const script = new vm.Script(`(function (${names.join(', ')}) {${source}\n})`, { filename: file, cachedData: cache?.data });
  const covered = cache && !script.cachedDataRejected ? cache.commands : [];
  const command = commandWord();
  if (cacheFile && !covered.includes(command) && covered.length < MAX_COMMANDS) {
    if (unsaved.length === 0) process.once('exit', saveAll);
    unsaved.push(() => saveCache(fs, path, script, cacheFile, [...covered, command]));
  }
  const loading = new Module(file);
  loading.filename = file;
  require.cache[file] = loading;
  script.runInThisContext()(loading.exports, Module.createRequire(file), loading, file, path.dirname(file), ...Object.values(extra));
  loading.loaded = true;
  return loading;
}

function saveAll() {
  for (const save of unsaved) save();
}

/** The command's word on this command line: its first lowercase word (`count`, or `topics` of `topics create`). */
function commandWord() {
  return process.argv.slice(2).find((arg) => /^[a-z]{1,20}$/.test(arg)) ?? '';
}

/** $XDG_CACHE_HOME/zps or ~/.cache/zps, made if missing; undefined (no cache) when it cannot be. */
function cacheDirectory(path) {
  // $HOME first, as os.homedir() does, without loading node:os (~1 ms)
  const base = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || require('node:os').homedir(), '.cache');
  if (!path.isAbsolute(base)) return undefined;
  const dir = path.join(base, 'zps');
  try {
    require('node:fs').mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

/** FNV-1a of a file's path (its UTF-16 code units), in hex: which checkout a cache belongs to. */
function pathHash(file) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/**
 * The code cache kept in `file` and the commands it was made after, or undefined when there is none
 * yet (or it is damaged). V8 checks that a code cache fits the source, its version and its flags,
 * but checks its bytes only with --verify-snapshot-checksum (a damaged cache crashed the process).
 * A checksum would cost each command ~1.2 ms (node:zlib to load) or ~2 ms (a JavaScript loop over
 * 200 KB, run before it is optimised): the file holds its content twice instead, used only when both
 * copies are the same bytes, compared at memory speed. The content: V8's data, the commands' words
 * (comma-separated), their length (2 bytes).
 */
function readCache(fs, file) {
  try {
    const kept = fs.readFileSync(file);
    const half = kept.length / 2;
    if (half < 2 || !Number.isInteger(half) || !kept.subarray(0, half).equals(kept.subarray(half))) return undefined;
    const end = half - 2;
    const start = end - kept.readUInt16LE(end);
    if (start < 0) return undefined;
    return { data: kept.subarray(0, start), commands: kept.toString('latin1', start, end).split(',') };
  } catch {
    return undefined;
  }
}

/** Writes the code cache whole or not at all (a rename), and keeps the caches of the last few builds of the file. */
function saveCache(fs, path, script, cacheFile, commands) {
  try {
    const temporary = `${cacheFile}.${process.pid}`;
    const words = Buffer.from(commands.join(','), 'latin1');
    const content = Buffer.concat([script.createCachedData(), words, Buffer.alloc(2)]);
    content.writeUInt16LE(words.length, content.length - 2);
    fs.writeFileSync(temporary, Buffer.concat([content, content]));
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
