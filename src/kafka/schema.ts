import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { extname } from 'node:path';
import { ZpsError, describeError, fileProblem, isUnavailable, usageError } from '../pubsub/errors.js';
import type { RegisteredSchema, SchemaReference, SchemaReferenceSpec, SchemaRegistry as RegistryCodec } from '../pubsub/factory.js';
import { Lazy, LazyMap } from '../pubsub/lazy.js';
import type { DeliveredRecord } from '../records/record.js';
import { DEFAULT_TIMEOUT_MS, type RegistryAccess } from '../settings.js';
import { shownUrl } from '../properties/registry-url.js';
import type { ProtobufOptions, ProtobufRegistry, RegistryEntry } from './protobuf/registry.js';
import { tlsConnectionOptions } from './tls.js';

/** What the registry client is made with. */
type RegistryArgs = ConstructorParameters<typeof import('@kafkajs/confluent-schema-registry').SchemaRegistry>[0];
type Middleware = NonNullable<RegistryArgs['middlewares']>[number];

/** A value encoder for one registered schema: throws a usage error naming the field that does not fit. */
export type ValueEncoder = (value: unknown) => Buffer;

interface SchemaInstance {
  toBuffer(value: unknown): Buffer;
  isValid(value: unknown, options: { errorHook: (path: string[], ...rest: unknown[]) => void }): boolean;
}

/** The part of the library's (private) REST client used to register without its compatibility check, and to read schemas as stored. */
interface RegistryApi {
  api: {
    Subject: {
      register(request: { subject: string; body: RegistrationBody }): Promise<RegistryResponse>;
      registered(request: { subject: string; body: RegistrationBody }): Promise<RegistryResponse>;
      version(request: { subject: string; version: number }): Promise<RegistryResponse>;
    };
  };
}

type RegistryResponse = { data(): unknown; status(): number };

/** The registry client's requests in flight, by schema id (it asks for an id only when none is). */
interface ClientInternals {
  cacheMissRequests: Record<number, Promise<RegistryResponse>>;
}

interface RegistrationBody {
  schemaType?: string;
  schema: string;
  references?: SchemaReference[];
}

const SCHEMA_TYPES: Record<string, 'AVRO' | 'JSON'> = { '.avsc': 'AVRO', '.json': 'JSON' };

/**
 * The Confluent schema registry side of Kafka mode: registers schemas, encodes values in the
 * Confluent wire format (magic byte 0, schema id, payload), decodes framed values whichever client
 * wrote them, asking the registry once per schema id.
 */
export class SchemaCodec implements RegistryCodec {
  // loaded only when a schema is in play: Avro, JSON Schema and protobuf support weigh a lot
  private readonly client = new Lazy(() =>
    import('@kafkajs/confluent-schema-registry').then(
      ({ SchemaRegistry }) => new SchemaRegistry({ host: this.url, auth: this.access.auth, agent: this.agent(), middlewares: this.middlewares() }),
    ),
  );
  /** One registry request per schema id, however many messages use it. */
  private readonly schemas = new LazyMap<number, SchemaInstance>();
  /** Ids that framed-looking keys named and the registry does not know: their keys are raw bytes, not asked about again. */
  private readonly unknownKeyIds = new Set<number>();
  /** The registry's answer for each schema id, which tells its format. */
  private readonly answers = new LazyMap<number, RegistryResponse>();
  /** Per schema id, its Protobuf decoder; null for the other formats (the registry client's). */
  private readonly protobufDecoders = new LazyMap<number, ((framed: Buffer) => unknown) | null>();

  constructor(
    readonly url: string,
    private readonly access: RegistryAccess = {},
    /** How long a listing (zps schemas) waits for the registry's answer: --timeout. */
    private readonly timeoutMs?: number,
  ) {}

  /** The registry's bearer token, fetched (client credentials) and cached as Kafka's OAUTHBEARER tokens are. */
  private readonly bearerToken = new Lazy(async () => {
    const token = this.access.bearer?.token;
    if (token === undefined) return undefined;
    return (await import('./oauth.js')).oauthBearerProvider({ mechanism: 'oauthbearer', token }, [], this.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  });

  /** The bearer token's headers, with Confluent Cloud's logical cluster and identity pool; none without a token. */
  private async bearerHeaders(): Promise<Record<string, string>> {
    const provider = await this.bearerToken.get();
    const bearer = this.access.bearer;
    if (provider === undefined || bearer === undefined) return {};
    const headers: Record<string, string> = { Authorization: `Bearer ${(await provider()).value}` };
    if (bearer.logicalCluster !== undefined) headers['target-sr-cluster'] = bearer.logicalCluster;
    if (bearer.identityPoolId !== undefined) headers['Confluent-Identity-Pool-Id'] = bearer.identityPoolId;
    return headers;
  }

  /**
   * Each of the registry client's requests gets --timeout to be answered (it would wait forever on a
   * registry that takes the connection and says nothing), and carries the bearer token, if any
   * (refreshed before it expires).
   */
  private middlewares(): RegistryArgs['middlewares'] {
    const timeout = this.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timed: Middleware = () => ({ prepareRequest: async (next) => (await next()).enhance({ timeout }) });
    if (this.access.bearer === undefined) return [timed];
    return [timed, () => ({ prepareRequest: async (next) => (await next()).enhance({ headers: await this.bearerHeaders() }) })];
  }

  /** An HTTPS agent with the registry's TLS settings (its CA, a client certificate), when some are given. */
  private agent(): Agent | undefined {
    return this.access.tls === undefined ? undefined : new Agent(tlsConnectionOptions(this.access.tls));
  }

  /**
   * Registers the schema file under `subject`, with references to schemas registered under other
   * subjects (a reference's version 'latest' is fixed to the number it is now), and returns an
   * encoder for it. A .proto file registers its imports as references itself (`protobuf`: the
   * message values are, the import paths).
   */
  async encoderFor(file: string, subject: string, references: SchemaReferenceSpec[] = [], protobuf: ProtobufOptions = {}): Promise<ValueEncoder> {
    if (extname(file).toLowerCase() === '.proto') {
      if (references.length > 0) throw usageError('a .proto schema registers its imports as references itself: drop --schema-reference');
      return (await import('./protobuf/registry.js')).protobufEncoder(file, subject, protobuf, this.protobufRegistry());
    }
    const schemaType = SCHEMA_TYPES[extname(file).toLowerCase()];
    if (!schemaType) throw usageError(`schema file ${file}: use .avsc (Avro), .json (JSON Schema) or .proto (Protobuf)`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw usageError(`cannot read schema file ${file}: ${fileProblem(error)}`);
    }
    const pinned: SchemaReference[] = await Promise.all(
      references.map(async ({ name, subject, version }) => ({
        name,
        subject,
        version: version === 'latest' ? (await this.registered(subject, 'latest')).version : version,
      })),
    );
    const registry = await this.client.get();
    // The registry API directly: the library's register() also insists on a compatibility level,
    // which fails on registries that answer another level for existing subjects.
    const id = await this.call(`register ${file} under ${subject}`, async () => {
      const { api } = registry as unknown as RegistryApi;
      const response = await api.Subject.register({
        subject,
        body: { schemaType: schemaType === 'AVRO' ? undefined : schemaType, schema: text, ...(pinned.length > 0 ? { references: pinned } : {}) },
      });
      return answerField(response, 'id', 'schema id', isSchemaId);
    });
    const schema = await this.schema(id);
    return (value) => {
      const paths: string[] = [];
      if (!schema.isValid(value, { errorHook: (path) => paths.push(path.join('.').replace(/^\//, '').replaceAll('/', '.')) })) {
        const field = paths[0] ? `field '${paths[0]}'` : subject.endsWith('-key') ? 'the key' : 'the value';
        throw usageError(`${field} does not match the schema of subject ${subject}`);
      }
      const header = Buffer.alloc(5); // magic byte 0, then the schema id
      header.writeInt32BE(id, 1);
      return Buffer.concat([header, schema.toBuffer(value)]);
    };
  }

  /**
   * A record whose Confluent-framed value and key are replaced by their decoded values as JSON. A
   * value that looks framed must decode (else the record is undecodable); a key is decoded only
   * when its schema id is one the registry knows and its bytes decode with that schema, else it
   * stays as stored: a key is often raw bytes that merely start with a 0 (a big-endian number).
   */
  async decode(record: DeliveredRecord): Promise<DeliveredRecord> {
    const key = isFramed(record.key) ? await this.decodeKey(record.key) : record.key;
    const value = isFramed(record.value) ? asJson(await this.decodeFramed(record.value)) : record.value;
    return key === record.key && value === record.value ? record : { ...record, key, value };
  }

  /** The key decoded as JSON, or as it is when it is not framed by a schema of the registry. */
  private async decodeKey(key: Buffer): Promise<Buffer> {
    const id = key.readInt32BE(1);
    if (this.unknownKeyIds.has(id)) return key;
    try {
      return asJson(await this.decodeFramed(key));
    } catch (error) {
      if (!(error instanceof ZpsError)) return key;
      if (isUnavailable(error)) throw error; // the registry could not be asked, trusted or understood
      if (error.code === 'not-found') this.unknownKeyIds.add(id);
      return key;
    }
  }

  /**
   * The payload of Confluent-framed bytes (magic byte 0, schema id, payload), decoded with its
   * schema, fetched once per id. Bytes the schema does not read are the record's fault, not the
   * registry's: said as `schema <id>: <why>` (the caller names the record).
   */
  private async decodeFramed(bytes: Buffer): Promise<unknown> {
    const id = bytes.readInt32BE(1);
    const decodeWithSchema = (await this.protobufDecoder(id)) ?? (await this.registryDecoder(id));
    try {
      return await decodeWithSchema(bytes);
    } catch (error) {
      throw new ZpsError(`schema ${id}: ${describeError(error)}`);
    }
  }

  /** The registry client's decoder of an id's Avro or JSON Schema values, once it has their schema. */
  private async registryDecoder(id: number): Promise<(framed: Buffer) => Promise<unknown>> {
    await this.schema(id);
    const registry = await this.client.get();
    return (framed) => registry.decode(framed);
  }

  async subjects(): Promise<string[]> {
    const isSubjects = (json: unknown) => Array.isArray(json) && json.every(isText);
    return (await this.get<string[]>('list the subjects', '/subjects', 'list of subjects', isSubjects)).sort();
  }

  async versions(subject: string): Promise<number[]> {
    const isVersions = (json: unknown) => Array.isArray(json) && json.every(isSchemaId);
    return this.get<number[]>(`subject ${subject}`, `/subjects/${encodeURIComponent(subject)}/versions`, 'list of versions', isVersions);
  }

  async registered(subject: string, version: number | 'latest'): Promise<RegisteredSchema> {
    const isVersion = (json: unknown) => isSchemaId(field(json, 'version')) && isSchemaId(field(json, 'id')) && isText(field(json, 'schema'));
    const found = await this.get<RegisteredSchema & { schemaType?: string }>(
      `subject ${subject} version ${version}`,
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
      'schema version',
      isVersion,
    );
    // the registry leaves the type out for Avro, the first format it had
    return { subject, version: found.version, id: found.id, type: found.schemaType ?? 'AVRO', schema: found.schema, references: found.references ?? [] };
  }

  /**
   * A GET of the registry's REST API, with its credentials and TLS settings (the registry client
   * has no call to list versions): its JSON answer, which `fits` checks is the `expected` one.
   */
  private async get<T>(what: string, path: string, expected: string, fits: (json: unknown) => boolean): Promise<T> {
    const url = new URL(`${this.url.replace(/\/$/, '')}${path}`);
    const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json', ...(await this.bearerHeaders()) };
    const { auth } = this.access;
    if (auth) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    return this.call(
      what,
      () =>
        new Promise<T>((resolve, reject) => {
          const request = url.protocol === 'https:' ? httpsRequest(url, { headers, agent: this.agent() }) : httpRequest(url, { headers });
          request.on('error', reject);
          const timeout = this.timeoutMs ?? DEFAULT_TIMEOUT_MS;
          request.setTimeout(timeout, () => request.destroy(new Error(`Timeout (${timeout}ms)`)));
          request.on('response', (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              const status = response.statusCode ?? 0;
              const json = parsedOrUndefined(text);
              if (status >= 200 && status < 300) {
                if (json === undefined || !fits(json)) reject(new UnexpectedAnswer(status, expected, text));
                else resolve(json as T);
              } else {
                const { message, error_code: code } = (json ?? {}) as { message?: unknown; error_code?: unknown };
                const registryError = typeof code === 'number';
                reject(Object.assign(new Error(typeof message === 'string' ? message : shownAnswer(text)), { status, registryError }));
              }
            });
          });
          request.end();
        }),
    );
  }

  /** The decoder of a Protobuf schema id (null for other formats): Confluent's framing, which the registry client does not read. */
  private protobufDecoder(id: number): Promise<((framed: Buffer) => unknown) | null> {
    return this.protobufDecoders.get(id, async () => {
      const entry = (await this.found(id)).data() as RegistryEntry & { schemaType?: string };
      if (entry.schemaType !== 'PROTOBUF') return null;
      // a schema id's content never changes: one that cannot be read is kept as such, not asked again per value
      return (await import('./protobuf/registry.js')).protobufDecoder(id, entry, this.protobufRegistry()).catch((error: unknown) => {
        if (isUnavailable(error)) throw error;
        return () => {
          throw error;
        };
      });
    });
  }

  private protobufRegistry(): ProtobufRegistry {
    return {
      register: async (subject, schema, references) => {
        const body = { schemaType: 'PROTOBUF', schema, ...(references.length > 0 ? { references } : {}) };
        return this.call(`register ${subject}`, async () => {
          const api = await this.api();
          const id = answerField(await api.Subject.register({ subject, body }), 'id', 'schema id', isSchemaId);
          return { id, version: answerField(await api.Subject.registered({ subject, body }), 'version', 'version', isSchemaId) };
        });
      },
      version: (subject, version) =>
        this.call(`read ${subject} version ${version}`, async () => {
          const answer = await (await this.api()).Subject.version({ subject, version });
          answerField(answer, 'schema', 'schema', isText);
          return answer.data() as RegistryEntry;
        }),
    };
  }

  /** The registry's REST API (the registry client's, private): registering without its compatibility check, raw schemas. */
  private async api(): Promise<RegistryApi['api']> {
    return ((await this.client.get()) as unknown as RegistryApi).api;
  }

  private schema(id: number): Promise<SchemaInstance> {
    return this.schemas.get(id, async () => {
      const registry = await this.client.get();
      const found = await this.found(id);
      return this.call(`read schema ${id}`, async () => {
        // the registry client is handed the answer already had, as if its own request for it were in flight
        const pending = (registry as unknown as ClientInternals).cacheMissRequests;
        pending[id] = Promise.resolve(found);
        try {
          return (await registry.getSchema(id)) as unknown as SchemaInstance;
        } finally {
          delete pending[id];
        }
      });
    });
  }

  /** The registry's answer for a schema id, asked once: Protobuf's is read here, the other formats by the registry client. */
  private found(id: number): Promise<RegistryResponse> {
    // asked here, not through the registry client, which takes a proxy's 404 with a message for the registry's own
    return this.answers.get(id, async () => {
      const isEntry = (json: unknown) => isText(field(json, 'schema'));
      const entry = await this.get<RegistryEntry>(`read schema ${id}`, `/schemas/ids/${id}`, 'schema', isEntry);
      return { data: () => entry, status: () => 200 };
    });
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const where = shownUrl(this.url);
      if (error instanceof UnexpectedAnswer) {
        // a proxy's sign-in page, a cut answer, a server that is no registry: no record is to blame
        throw new ZpsError(`${what}: the schema registry at ${where} ${error.message}`, { code: 'unavailable', reason: 'registry-unreachable' });
      }
      const status = (error as { status?: number }).status;
      const message = shownUrl(clientMessage(describeError(error)));
      const tls = tlsFailure(message);
      if (tls) throw new ZpsError(`${what}: cannot reach the schema registry at ${where} over TLS: ${tls}`, { code: 'unavailable', reason: 'registry-tls' });
      // the request timeout (middlewares(), get()): "Timeout (10000ms)"
      const silent = /^(?:.*: )?Timeout \((\d+)ms\)$/.exec(message);
      // the registry's own failure (Confluent's 50001: its store is down), or a proxy or load
      // balancer in front of a registry that is down or restarting
      const away = status !== undefined && status >= 500 && status <= 599;
      if (silent || away || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/.test(message)) {
        const why = silent
          ? `no answer from the schema registry at ${where} within ${silent[1]} ms`
          : away
            ? `the schema registry at ${where} answered ${status}: ${message}`
            : `cannot reach the schema registry at ${where}`;
        throw new ZpsError(`${what}: ${why}`, {
          code: 'unavailable',
          retriable: true,
          reason: 'registry-unreachable',
        });
      }
      // expired or wrong credentials: every record would fail the same
      if (status === 401 || status === 403)
        throw new ZpsError(`${what}: the schema registry at ${where} refused the credentials (${status}): ${message}`, { code: 'auth' });
      if (status === 404 && !isRegistryError(error)) {
        throw new ZpsError(`${what}: ${where} answered 404 as no schema registry does: is it the registry's API URL?`, {
          code: 'unavailable',
          reason: 'registry-unreachable',
        });
      }
      if (status === 404 || /not found/i.test(message)) throw new ZpsError(`${what}: unknown to the schema registry at ${where}`, { code: 'not-found' });
      if (status !== undefined) throw new ZpsError(`${what}: the schema registry at ${where} answered ${status}: ${message}`);
      throw new ZpsError(`${what}: schema registry at ${where}: ${message}`);
    }
  }
}

/** Bytes in the Confluent wire format: magic byte 0, then a 4-byte schema id (and a payload). */
function isFramed(bytes: Buffer | null): bytes is Buffer {
  return bytes !== null && bytes.length >= 5 && bytes[0] === 0;
}

/** A registry answer (2xx) that does not hold what was asked: no registry answers so. */
class UnexpectedAnswer extends Error {
  constructor(status: number, expected: string, answer: unknown) {
    super(`answered ${status} with no ${expected}: ${shownAnswer(answer)}`);
  }
}

/** A field of a JSON answer (undefined when the answer is no object). */
function field(json: unknown, name: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[name] : undefined;
}

/** The field `name` of the registry client's answer, when `fits` says it is the `expected` one. */
function answerField<T>(answer: RegistryResponse, name: string, expected: string, fits: (value: unknown) => value is T): T {
  const data = answer.data();
  const value = field(data, name);
  if (!fits(value)) throw new UnexpectedAnswer(answer.status(), expected, data);
  return value;
}

/** A schema id or version: Confluent's are positive 32-bit integers. */
function isSchemaId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 0x7fffffff;
}

function isText(value: unknown): value is string {
  return typeof value === 'string';
}

/**
 * A TLS failure in the registry client's words (it reports the connection's error as a 400): a
 * certificate not trusted, or an https URL of a plain HTTP server; OpenSSL's reason when it gives one.
 */
function tlsFailure(message: string): string | undefined {
  const openSsl = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1];
  return (
    openSsl ??
    /self[- ]signed certificate[^:]*|unable to (?:get|verify) [^:]*certificate[^:]*|certificate has expired|Hostname\/IP does not match[^:]*|EPROTO/i.exec(
      message,
    )?.[0]
  );
}

/**
 * The message of the registry client's error without its prefix (`Confluent_Schema_Registry - `,
 * and `Error, status 400: ` for the connection's errors) and trailing line breaks (OpenSSL's).
 */
function clientMessage(message: string): string {
  return message.replace(/^\S+ - (?:Error, status \d+: )?/, '').trim();
}

/**
 * Whether a failed request's answer came from a registry (Confluent's error JSON, which the
 * registry client turns into a message of its own) or from some other server (its text after
 * `Error, status …:`).
 */
function isRegistryError(error: unknown): boolean {
  const marked = (error as { registryError?: boolean }).registryError;
  return marked ?? !/^\S+ - Error, status \d+/.test(describeError(error));
}

/** The start of an answer that is not what was asked, for an error message. */
function shownAnswer(answer: unknown): string {
  const text = typeof answer === 'string' ? answer : (JSON.stringify(answer) ?? String(answer));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A decoded value as JSON text (64-bit integers as decimal strings). */
function asJson(decoded: unknown): Buffer {
  return Buffer.from(JSON.stringify(decoded, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
