/**
 * The contexts file: named sets of settings in `$XDG_CONFIG_HOME/zps/config.toml` (default
 * `~/.config/zps/`), hand-editable TOML. Its parser (smol-toml) is loaded only when the file exists:
 * a run without contexts pays one stat. The file can hold secrets, so it must be the user's alone to
 * write (a file or directory others can write is refused), and is written 0600 in a 0700 directory.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileProblem, usageError } from '../pubsub/errors.js';
import { closestName } from '../properties/names.js';

/** A secret kept out of the file: the environment variable that holds it, or the command that prints it. */
export type SecretReference = { env: string } | { command: string };

/** A context: settings by their flag names (`brokers`, `sasl-password`...), and client properties. */
export interface Context {
  [setting: string]: string | boolean | SecretReference | Record<string, string> | undefined;
  properties?: Record<string, string>;
}

export interface ContextsFile {
  /** The context used when neither --context nor ZPS_CONTEXT names one. */
  current?: string;
  contexts: Record<string, Context>;
}

/** `$XDG_CONFIG_HOME/zps/config.toml`, else `~/.config/zps/config.toml`. */
export function contextsPath(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'zps', 'config.toml');
}

type Toml = typeof import('smol-toml');
/** Loaded on first use (a synchronous require, so the library's createFactory can stay synchronous). */
const toml = (): Toml => createRequire(import.meta.url)('smol-toml') as Toml;

/** The file's contexts, or undefined when there is no file (one stat). */
export function readContexts(path: string): ContextsFile | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return undefined;
  refuseWritableByOthers(path, stat.mode, 600);
  refuseWritableByOthers(dirname(path), statSync(dirname(path)).mode, 700);
  let parsed: Record<string, unknown>;
  try {
    parsed = toml().parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // smol-toml's message starts with its one-line reason, then quotes the line (which may hold a secret)
    throw usageError(`cannot read the contexts file ${path}: ${fileProblem(error)}`);
  }
  const { current, contexts = {}, ...others } = parsed;
  for (const key of Object.keys(others)) {
    const close = closestName(key, FILE_KEYS);
    throw usageError(`unknown key '${key}' in ${path}${close ? `: did you mean ${close}?` : `: it holds ${FILE_KEYS.join(' and ')}`}`);
  }
  if (current !== undefined && typeof current !== 'string') throw usageError(`invalid current in ${path}: give a context's name, as current = "prod"`);
  if (typeof contexts !== 'object' || contexts === null || Array.isArray(contexts))
    throw usageError(`invalid contexts in ${path}: use [contexts.<name>] tables`);
  return { current, contexts: contexts as Record<string, Context> };
}

/** The file's own keys: the current context's name and the contexts' tables. */
const FILE_KEYS = ['current', 'contexts'];

/** A file or directory others can write could swap the brokers or the secrets under the user. */
function refuseWritableByOthers(path: string, mode: number, fix: number): void {
  if ((mode & 0o022) !== 0)
    throw usageError(`the contexts file's ${fix === 600 ? 'file' : 'directory'} ${path} can be written by others: chmod ${fix} ${path}`);
}

/** Writes the file whole (0600, its directory 0700), through a temporary file so a crash never leaves half of it. */
export function writeContexts(path: string, file: ContextsFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { current, contexts } = file;
  const text = toml().stringify(current === undefined ? { contexts } : { current, contexts });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${HEADER}${text}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    throw usageError(`cannot write the contexts file ${path}: ${fileProblem(error)}`);
  }
}

const HEADER = `# zps contexts (zps context add|use|list|show|remove; README, Contexts). Keys are the settings'
# flag names; a secret may be { env = "VARIABLE" } or { command = "pass show kafka/prod" }.
`;
