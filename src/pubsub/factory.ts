import { DriverAdmin } from './admin.js';
import { DriverConsumer, type RecordDecoder } from './consumer.js';
import type { Driver } from './driver.js';
import { usageError } from './errors.js';
import { Lazy } from './lazy.js';
import { BatchingPublisher } from './publisher.js';
import { openReader } from './reader.js';
import type { ErrorCallback, RetryOptions } from './retry.js';
import { DriverSender } from './sender.js';
import type { Admin, Consumer, ConsumerFactory, PublisherFactory, RecordReader, ReaderOptions, RecordSender, ToolsFactory } from './types.js';
import type { DeliveredRecord } from '../records/record.js';

/** A schema registered under another subject that a schema names (an Avro type, a JSON Schema `$ref`, a Protobuf import). */
export interface SchemaReference {
  /** The name the schema uses for it: the Avro type's full name, the JSON Schema `$ref`, the imported .proto file. */
  name: string;
  subject: string;
  version: number;
}

/** A reference as given: its version may be 'latest', the subject's latest version when the schema is registered. */
export type SchemaReferenceSpec = Omit<SchemaReference, 'version'> & { version: number | 'latest' };

/** A .proto schema's message (full name; default the file's first) and the directories its imports are looked up in. */
export interface ProtobufSchemaOptions {
  message?: string;
  protoPaths?: string[];
}

/** One version of a subject, as the registry has it. */
export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
  /** AVRO, JSON or PROTOBUF. */
  type: string;
  /** The schema's text. */
  schema: string;
  references: SchemaReference[];
}

/** A Confluent-compatible schema registry, where one is configured (Kafka). */
export interface SchemaRegistry {
  /**
   * Registers the schema file under the subject, with its references ('latest': the subject's
   * latest version; a .proto registers its imports itself, `protobuf` names its message and import
   * paths); the encoder throws a usage error naming the field that does not fit.
   */
  encoderFor(file: string, subject: string, references?: SchemaReferenceSpec[], protobuf?: ProtobufSchemaOptions): Promise<(value: unknown) => Buffer>;
  /** The record with a registry-framed value and key decoded (as JSON); others as they are. */
  decode: RecordDecoder;
  /** The registry's subjects, sorted. */
  subjects(): Promise<string[]>;
  /** The versions of a subject (a not-found error when the registry has no such subject). */
  versions(subject: string): Promise<number[]>;
  /** One version of a subject: its schema, type, id and references. */
  registered(subject: string, version: number | 'latest'): Promise<RegisteredSchema>;
}

/** What an environment brings: its driver and, maybe, a schema registry; each loaded on first use. */
export interface Backend {
  driver(): Promise<Driver>;
  schemas?: () => Promise<SchemaRegistry>;
  /** The schema registry's address as messages show it (no password). */
  registryShown?: string;
}

export interface FactorySettings {
  environment: string;
  /** The group of consumers created without one. */
  group?: string;
  retry: RetryOptions;
  onError: ErrorCallback;
}

/**
 * The factory of every environment: publishers over a sender, consumers in the default group,
 * readers and admin, all over the environment's driver, which is loaded when first needed. close()
 * ends publishers first (so their messages are acknowledged), then consumers and readers, then the
 * driver's connections.
 */
export class Factory implements ToolsFactory {
  readonly environment: string;
  private readonly publishers = new Set<{ close(): Promise<void> }>();
  private readonly closables = new Set<Consumer | RecordReader>();
  private readonly loaded: Lazy<Driver>;
  private readonly schemas: Lazy<SchemaRegistry> | undefined;
  private readonly registryShown: string | undefined;
  private readonly sender: RecordSender;

  constructor(
    private readonly settings: FactorySettings,
    backend: Backend,
  ) {
    this.environment = settings.environment;
    this.loaded = new Lazy(() => backend.driver());
    const { schemas } = backend;
    this.schemas = schemas && new Lazy(() => schemas());
    this.registryShown = backend.registryShown;
    this.sender = new DriverSender(this.driver);
  }

  /** Closed: what asks for the driver afterwards is refused, not given new connections that keep the process alive. */
  private closed = false;

  private readonly driver = (): Promise<Driver> =>
    this.closed ? Promise.reject(usageError('this factory is closed: create another to go on')) : this.loaded.get();

  getPublisherFactory(): PublisherFactory {
    return {
      create: async (topic, messageType) => {
        const publisher = new BatchingPublisher(this.sender, topic, messageType);
        this.publishers.add(publisher);
        return publisher;
      },
    };
  }

  getConsumerFactory(): ConsumerFactory {
    return {
      create: (options) => {
        const consumer = new DriverConsumer(this.driver, {
          group: options?.group ?? this.settings.group,
          retry: this.settings.retry,
          onError: this.settings.onError,
          decode: this.decoder(),
        });
        this.closables.add(consumer);
        return consumer;
      },
    };
  }

  getAdmin(): Admin {
    return new DriverAdmin(this.driver);
  }

  getSender(): RecordSender {
    return this.sender;
  }

  async openReader(options: ReaderOptions): Promise<RecordReader> {
    const reader = await openReader(await this.driver(), options, this.decoder());
    this.closables.add(reader);
    return reader;
  }

  async valueEncoder(
    schemaFile: string,
    subject: string,
    references?: SchemaReferenceSpec[],
    protobuf?: ProtobufSchemaOptions,
  ): Promise<(value: unknown) => Buffer> {
    return (await this.schemaRegistry('encoding with a schema')).encoderFor(schemaFile, subject, references, protobuf);
  }

  async schemaRegistry(what = 'the schema registry'): Promise<SchemaRegistry> {
    if (!this.schemas) {
      throw this.environment === 'local'
        ? usageError(`${what} needs Kafka with a schema registry: local mode has none`, 'schema-needs-kafka')
        : usageError(`${what} needs a schema registry`, 'no-schema-registry');
    }
    return this.schemas.get();
  }

  async close(): Promise<void> {
    await Promise.all([...this.publishers].map((publisher) => publisher.close()));
    await Promise.all([...this.closables].map((closable) => closable.close()));
    this.closed = true;
    await (await this.loaded.release())?.close();
  }

  /** Decodes registry-framed values, when a registry is configured. */
  private decoder(): RecordDecoder | undefined {
    const { schemas } = this;
    if (!schemas) return undefined;
    const decode = async (record: DeliveredRecord) => (await schemas.get()).decode(record);
    return Object.assign(decode, { waitsOn: this.registryShown && `the schema registry at ${this.registryShown}` });
  }
}
