/**
 * kafkajs from its pack, dist/kafkajs.cjs (scripts/pack-kafkajs.mjs): one file to read and compile
 * instead of ~140 modules to resolve, read and compile one by one (~50 ms of a Kafka command's
 * start on Node 20). Each module is registered in require.cache under its real file name before it
 * runs, as Node's require does, so the pack and plain require() share every module (zps's fixes in
 * internals.ts patch some by file name, before kafkajs loads). Without a pack of the kafkajs
 * installed (another version, a build without it), kafkajs loads as usual.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../package-files.js';

type Kafkajs = typeof import('kafkajs');
type ModuleFunction = (exports: unknown, require: (request: string) => unknown, module: Module, filename: string, dirname: string) => void;
interface Pack {
  version: string;
  requires: Record<string, Record<string, string>>;
  modules: Record<string, ModuleFunction>;
}

/** bin/zps.cjs's require with V8's code cache, in the CLI bundle only. */
declare const zpsRequire: ((file: string) => unknown) | undefined;

let loaded: Promise<Kafkajs> | undefined;

/** Node built-ins that kafkajs requires up front but uses only for TLS and SCRAM (~10 ms to load): required on first use. */
const onFirstUse = new Map(
  ['tls', 'crypto'].map((id) => {
    let module: Record<string | symbol, unknown> | undefined;
    const require = createRequire(import.meta.url);
    return [id, new Proxy({}, { get: (_, key) => (module ??= require(id) as Record<string | symbol, unknown>)[key] })];
  }),
);

/** kafkajs: from the pack when it matches the kafkajs installed, else imported. */
export function loadKafkajsModule(): Promise<Kafkajs> {
  loaded ??= Promise.resolve().then(() => {
    const load = packLoader();
    return load ? (load('index.js') as Kafkajs) : import('kafkajs').then((module) => module.default);
  });
  return loaded;
}

/** One of kafkajs's modules by its path inside kafkajs (`src/network/requestQueue/index.js`), from the pack when there is one. */
export function requireKafkajsModule(name: string): unknown {
  const load = packLoader();
  return load ? load(name) : createRequire(import.meta.url)(`kafkajs/${name}`);
}

let loader: ((name: string) => unknown) | null | undefined;

/** Loads a module of the pack by its path inside kafkajs, as Node's require would; null without a pack of the kafkajs installed. */
function packLoader(): ((name: string) => unknown) | null {
  if (loader !== undefined) return loader;
  const require = createRequire(import.meta.url);
  const packFile = fileURLToPath(packageFile('dist/kafkajs.cjs'));
  let pack: Pack;
  try {
    pack = (typeof zpsRequire === 'function' ? zpsRequire : require)(packFile) as Pack;
  } catch {
    return (loader = null); // not packed
  }
  const kafkajsDir = dirname(require.resolve('kafkajs/package.json'));
  if ((require(join(kafkajsDir, 'package.json')) as { version: string }).version !== pack.version) return (loader = null);
  const load = (name: string): unknown => {
    const filename = join(kafkajsDir, name);
    const cached = require.cache[filename];
    if (cached) return cached.exports;
    const run = pack.modules[name];
    if (!run) return require(filename); // not one the pack holds
    const module = new Module(filename);
    module.filename = filename;
    require.cache[filename] = module;
    const requires = pack.requires[name] ?? {};
    const moduleRequire = (request: string): unknown => {
      const target = requires[request];
      if (target !== undefined) return load(target);
      // a Node built-in, the same from anywhere (a require of its own per module costs ~0.2 ms), or kafkajs's package.json
      return onFirstUse.get(request) ?? (request.startsWith('.') ? createRequire(filename) : require)(request);
    };
    try {
      run.call(module.exports, module.exports, moduleRequire, module, filename, dirname(filename));
    } catch (error) {
      delete require.cache[filename]; // as Node's require: a module that threw is not kept
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };
  return (loader = load);
}
