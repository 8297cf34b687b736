import { BatchingPublisher } from './publisher.js';
import type {
  Admin,
  Consumer,
  ConsumerFactory,
  PubSubFactory,
  Publisher,
  PublisherFactory,
  Reader,
  ReaderOptions,
  RecordSender,
} from './types.js';

/**
 * What every implementation's factory shares: publishers over its RecordSender, consumers in the
 * default group, and a close() that ends publishers first (so their messages are acknowledged),
 * then consumers and readers, then the connections.
 */
export abstract class FactoryBase implements PubSubFactory {
  private readonly publishers = new Set<Publisher>();
  private readonly closables = new Set<Consumer | Reader>();

  constructor(
    readonly environment: string,
    private readonly defaultGroup: string | undefined,
  ) {}

  abstract getAdmin(): Admin;
  abstract getSender(): RecordSender;
  abstract valueEncoder(schemaFile: string, subject: string): Promise<(value: unknown) => Buffer>;
  protected abstract newConsumer(group: string | undefined): Consumer;
  protected abstract newReader(options: ReaderOptions): Promise<Reader>;
  protected abstract closeConnections(): Promise<void>;

  getPublisherFactory(): PublisherFactory {
    return {
      create: async (topic, messageType) => {
        const publisher = new BatchingPublisher(this.getSender(), topic, messageType);
        this.publishers.add(publisher);
        return publisher;
      },
    };
  }

  getConsumerFactory(): ConsumerFactory {
    return {
      create: (options) => {
        const consumer = this.newConsumer(options?.group ?? this.defaultGroup);
        this.closables.add(consumer);
        return consumer;
      },
    };
  }

  async openReader(options: ReaderOptions): Promise<Reader> {
    const reader = await this.newReader(options);
    this.closables.add(reader);
    return reader;
  }

  async close(): Promise<void> {
    await Promise.all([...this.publishers].map((publisher) => publisher.close()));
    await Promise.all([...this.closables].map((closable) => closable.close()));
    await this.closeConnections();
  }
}
