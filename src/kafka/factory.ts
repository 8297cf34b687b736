import type { Kafka } from 'kafkajs';
import { BatchingPublisher } from '../pubsub/publisher.js';
import type { ErrorCallback, RetryOptions } from '../pubsub/retry.js';
import type { Admin, Consumer, ConsumerFactory, PubSubFactory, Publisher, PublisherFactory, Reader, ReaderOptions, RecordSender } from '../pubsub/types.js';
import { KafkaAdmin } from './admin.js';
import { createKafka, type KafkaSettings } from './connection.js';
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
export class KafkaFactory implements PubSubFactory {
  readonly environment: string;
  private readonly kafka: Kafka;
  private readonly admin: KafkaAdmin;
  private readonly sender: KafkaSender;
  private readonly schemas: SchemaCodec | undefined;
  private readonly publishers = new Set<Publisher>();
  private readonly consumers = new Set<Consumer>();
  private readonly readers = new Set<Reader>();

  constructor(private readonly options: KafkaFactoryOptions) {
    this.environment = options.environment;
    this.kafka = createKafka(options.settings);
    this.admin = new KafkaAdmin(this.kafka, options.settings);
    this.sender = new KafkaSender(this.kafka, this.admin, options.settings);
    this.schemas = options.schemaRegistryUrl ? new SchemaCodec(options.schemaRegistryUrl) : undefined;
  }

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
        const consumer = new KafkaConsumer(this.kafka, this.admin, this.options.settings, {
          group: options?.group ?? this.options.consumerGroup,
          retry: this.options.retry,
          onError: this.options.onError,
          schemas: this.schemas,
        });
        this.consumers.add(consumer);
        return consumer;
      },
    };
  }

  getAdmin(): Admin {
    return this.admin;
  }

  getSender(): RecordSender {
    return this.sender;
  }

  async openReader(options: ReaderOptions): Promise<Reader> {
    const reader = await openKafkaReader(this.kafka, this.admin, this.options.settings, options, this.schemas);
    this.readers.add(reader);
    return reader;
  }

  async valueEncoder(schemaFile: string, subject: string): Promise<ValueEncoder> {
    if (!this.schemas) throw usageError('--schema needs a schema registry', 'set --schema-registry or ZPS_SCHEMA_REGISTRY');
    return this.schemas.encoderFor(schemaFile, subject);
  }

  async close(): Promise<void> {
    await Promise.all([...this.publishers].map((p) => p.close()));
    await Promise.all([...this.consumers, ...this.readers].map((c) => c.close()));
    await this.sender.close().catch(() => {});
    await this.admin.close().catch(() => {});
  }
}
