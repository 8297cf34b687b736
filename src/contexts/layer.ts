/**
 * A context as a source of settings (src/settings.ts consults it where the precedence puts it):
 * a setting by its flag name, else its client properties. A secret stored as a reference is
 * resolved only when the setting is used, from the environment or by running its command.
 */
import { execFileSync } from 'node:child_process';
import { closestName } from '../properties/names.js';
import { usageError, ZpsError } from '../pubsub/errors.js';
import type { Context, ContextsFile, SecretReference } from './file.js';

/** The settings a context may hold, by flag name (each also ZPS_<NAME> in the environment). */
export const CONTEXT_SETTINGS = [
  'env',
  'brokers',
  'schema-registry',
  'group',
  'socket',
  'sasl-mechanism',
  'sasl-username',
  'sasl-password',
  'sasl-token',
  'sasl-token-command',
  'tls',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'tls-key-password',
  'timeout',
] as const;

/** Settings whose values are secrets: masked when shown, and the only ones that may be references. */
export const isSecretSetting = (name: string): boolean => /password|secret|token$/.test(name);

/**
 * What a context's secret reference becomes: its value (`resolve`); itself, as text, for `zps context
 * show` (`describe`); or, in the daemon running a client's command, its value unless it is a
 * command, which throws instead (a command would block the daemon's one thread, in the daemon's
 * directory: the daemon declines, and the client runs it).
 */
export type References = 'resolve' | 'describe' | 'without-commands';

/** A value and where it came from. */
export type Sourced = readonly [value: string, from: string];

export class ContextLayer {
  /** How sources name it: `context prod`. */
  readonly from: string;
  /** The client properties of this context (checked by src/properties/client.ts like -X's), as text. */
  readonly properties: Record<string, string>;
  readonly propertyMap: ReadonlyMap<string, string>;

  constructor(
    readonly name: string,
    private readonly context: Context,
    private readonly env: NodeJS.ProcessEnv,
    private readonly references: References,
  ) {
    this.from = `context ${name}`;
    for (const [key, value] of Object.entries(context)) {
      if (key === 'properties') {
        if (!isTable(value)) throw usageError(`invalid properties in ${this.from}: use a [contexts.${name}.properties] table`);
        continue;
      }
      if (!(CONTEXT_SETTINGS as readonly string[]).includes(key)) {
        const near = closestName(key, CONTEXT_SETTINGS);
        throw usageError(`unknown setting '${key}' in ${this.from}${near ? `: did you mean ${near}?` : ''}`);
      }
      if (typeof value === 'object' && !(isSecretSetting(key) && isReference(value)))
        throw usageError(`invalid ${key} in ${this.from}: ${isSecretSetting(key) ? 'use a value, { env = "NAME" } or { command = "..." }' : 'use a value'}`);
    }
    this.properties = Object.fromEntries(Object.entries(context.properties ?? {}).map(([property, value]) => [property, String(value)]));
    this.propertyMap = new Map(Object.entries(this.properties));
  }

  /** The setting's value (`brokers in context prod`), a reference resolved now; undefined when the context lacks it. */
  setting(name: string): Sourced | undefined {
    const value = this.context[name];
    if (value === undefined) return undefined;
    const from = `${name} in ${this.from}`;
    if (typeof value !== 'object') return [String(value), from];
    const reference = value as SecretReference;
    if (this.references === 'describe') return [describeReference(reference), `${from} (${'env' in reference ? 'environment variable' : 'command'})`];
    if (this.references === 'without-commands' && 'command' in reference) throw new Error(`${name} of ${this.from} is a command, not run here`);
    return [this.resolve(name, reference), from];
  }

  private resolve(name: string, reference: SecretReference): string {
    const what = `${name} of ${this.from}`;
    if ('env' in reference) {
      const value = this.env[reference.env];
      if (value === undefined || value === '') throw usageError(`${what}: the environment variable ${reference.env} is not set`);
      return value;
    }
    try {
      // the secret is the command's stdout; its stderr says why it failed, never the secret
      return execFileSync('/bin/sh', ['-c', reference.command], { encoding: 'utf8', env: this.env, stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\r?\n$/, '');
    } catch (error) {
      const { status, stderr } = error as { status?: number | null; stderr?: string };
      const why =
        String(stderr ?? '')
          .trim()
          .split('\n')[0] || (status == null ? 'it could not run' : `exit ${status}`);
      throw new ZpsError(`${what}: the command failed: ${why}`);
    }
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function isReference(value: object): value is SecretReference {
  const keys = Object.keys(value);
  const [key] = keys;
  return keys.length === 1 && (key === 'env' || key === 'command') && typeof (value as Record<string, unknown>)[key] === 'string';
}

/** A reference as the file spells it: `{ env = "NAME" }`. */
export function describeReference(reference: SecretReference): string {
  return 'env' in reference ? `{ env = ${JSON.stringify(reference.env)} }` : `{ command = ${JSON.stringify(reference.command)} }`;
}

/** The contexts a run consults: the one --context names, and the one ZPS_CONTEXT names, else the current one. */
export interface ContextLayers {
  named?: ContextLayer;
  fallback?: ContextLayer;
}

/** The layers of the contexts named (an unknown name is a usage error with the closest known one). */
export function contextLayers(
  file: ContextsFile | undefined,
  named: [name: string, from: string] | undefined,
  fallback: [name: string, from: string] | undefined,
  env: NodeJS.ProcessEnv,
  references: References,
): ContextLayers {
  const layer = (given: [string, string] | undefined): ContextLayer | undefined => {
    if (given === undefined) return undefined;
    const [name, from] = given;
    const context = file?.contexts[name];
    if (context === undefined) throw unknownContext(name, from, Object.keys(file?.contexts ?? {}));
    if (!isTable(context)) throw usageError(`invalid context ${name}: use a [contexts.${name}] table`);
    return new ContextLayer(name, context, env, references);
  };
  return { named: layer(named), fallback: layer(fallback ?? (file?.current === undefined ? undefined : [file.current, 'current in the contexts file'])) };
}

export function unknownContext(name: string, from: string, known: string[]): ZpsError {
  const near = closestName(name, known);
  const hint = near ? `did you mean ${near}?` : known.length === 0 ? 'there are none yet: zps context add <name>' : `use ${known.join(', ')}`;
  return usageError(`unknown context '${name}' (${from}): ${hint}`);
}
