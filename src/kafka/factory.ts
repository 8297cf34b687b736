import { FactoryBase } from '../pubsub/factory-base.js';
import type { ErrorCallback, RetryOptions } from '../pubsub/retry.js';
import type { Admin, Consumer, Reader, ReaderOptions, RecordSender } from '../pubsub/types.js';
import { KafkaAdmin } from './admin.js';
import { createKafka, type KafkaClient, type KafkaSettings } from './connection.js';
import { KafkaConsumer } from './consumer.js';
import { openKafkaReader } from './reader.js';
import { SchemaCodec, type ValueEncoder } from './schema.js';
import { KafkaSender } from './sender.js';
import { usageError } from '../pubsub/errors.js';

export interface KafkaFactoryOptions {
  environment: string;
  settings: KafkaSettings;
  schemaRegistryUrl?: string;
  consumerGroup?: string;
  retry: RetryOptions;
  onError: ErrorCallback;
}

/** Kafka mode: every environment but `local`. */
export class KafkaFactory extends FactoryBase {
  private readonly kafka: KafkaClient;
  private readonly admin: KafkaAdmin;
  private readonly sender: KafkaSender;
  private readonly schemas: SchemaCodec | undefined;

  constructor(private readonly options: KafkaFactoryOptions) {
    super(options.environment, options.consumerGroup);
    this.kafka = createKafka(options.settings);
    this.admin = new KafkaAdmin(this.kafka, options.settings);
    this.sender = new KafkaSender(this.kafka, this.admin, options.settings);
    this.schemas = options.schemaRegistryUrl ? new SchemaCodec(options.schemaRegistryUrl) : undefined;
  }

  getAdmin(): Admin {
    return this.admin;
  }

  getSender(): RecordSender {
    return this.sender;
  }

  async valueEncoder(schemaFile: string, subject: string): Promise<ValueEncoder> {
    if (!this.schemas) throw usageError('encoding with a schema needs a schema registry', 'no-schema-registry');
    return this.schemas.encoderFor(schemaFile, subject);
  }

  protected newConsumer(group: string | undefined): Consumer {
    return new KafkaConsumer(this.kafka, this.admin, this.options.settings, {
      group,
      retry: this.options.retry,
      onError: this.options.onError,
      schemas: this.schemas,
    });
  }

  protected newReader(options: ReaderOptions): Promise<Reader> {
    return openKafkaReader(this.kafka, this.admin, this.options.settings, options, this.schemas);
  }

  protected async closeConnections(): Promise<void> {
    await this.sender.close().catch(() => {});
    await this.admin.close().catch(() => {});
  }
}
