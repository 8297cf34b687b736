import { DaemonClient } from '../daemon/client.js';
import { connectDaemon } from '../daemon/connect.js';
import { defaultSocketPath } from '../daemon/paths.js';
import type { BrokerLimits } from '../memory/broker.js';
import { MemoryBroker } from '../memory/broker.js';
import { InProcessService, type BrokerService } from '../memory/service.js';
import { usageError } from '../pubsub/errors.js';
import { BatchingPublisher } from '../pubsub/publisher.js';
import type { ErrorCallback, RetryOptions } from '../pubsub/retry.js';
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
} from '../pubsub/types.js';
import { LocalAdmin, LocalSender } from './admin.js';
import { LocalConsumer } from './consumer.js';
import { openLocalReader } from './reader.js';

export interface LocalFactoryOptions {
  environment: string;
  consumerGroup?: string;
  inProcess: boolean;
  socket?: string;
  autostart: boolean;
  timeoutMs: number;
  retry: RetryOptions;
  onError: ErrorCallback;
  /** Limits for a daemon that this factory starts. */
  daemonLimits?: Partial<BrokerLimits>;
  onDaemonStarting?: () => (() => void) | void;
}

let sharedBroker: MemoryBroker | undefined;

/** The process-wide in-process broker: every `inProcess` factory of a process shares it. */
export function inProcessBroker(): MemoryBroker {
  return (sharedBroker ??= new MemoryBroker());
}

/** Local mode: the memory broker, hosted by the daemon (default) or in this process. */
export class LocalFactory implements PubSubFactory {
  readonly environment: string;
  private connection: Promise<BrokerService> | undefined;
  private readonly consumers = new Set<Consumer>();
  private readonly publishers = new Set<Publisher>();
  private readonly readers = new Set<Reader>();
  private readonly sender: RecordSender;

  constructor(private readonly options: LocalFactoryOptions) {
    this.environment = options.environment;
    this.sender = new LocalSender(this.service);
  }

  /** The broker service, connecting (and reconnecting after the daemon went away) on demand. */
  readonly service = async (): Promise<BrokerService> => {
    if (this.connection) {
      const current = await this.connection.catch(() => undefined);
      if (current && !(current instanceof DaemonClient && current.isClosed)) return current;
    }
    this.connection = this.options.inProcess
      ? Promise.resolve(new InProcessService(inProcessBroker()))
      : connectDaemon({
          socket: this.options.socket ?? defaultSocketPath(),
          autostart: this.options.autostart,
          timeoutMs: this.options.timeoutMs,
          limits: this.options.daemonLimits,
          onStarting: this.options.onDaemonStarting,
        });
    return this.connection;
  };

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
        const consumer = new LocalConsumer(this.service, {
          group: options?.group ?? this.options.consumerGroup,
          retry: this.options.retry,
          onError: this.options.onError,
        });
        this.consumers.add(consumer);
        return consumer;
      },
    };
  }

  getAdmin(): Admin {
    return new LocalAdmin(this.service);
  }

  getSender(): RecordSender {
    return this.sender;
  }

  async openReader(options: ReaderOptions): Promise<Reader> {
    const reader = await openLocalReader(await this.service(), options);
    this.readers.add(reader);
    return reader;
  }

  async valueEncoder(): Promise<never> {
    throw usageError('--schema needs Kafka with a schema registry', 'set --env and --schema-registry');
  }

  async close(): Promise<void> {
    await Promise.all([...this.publishers].map((publisher) => publisher.close()));
    await Promise.all([...this.consumers, ...this.readers].map((closable) => closable.close()));
    const service = await this.connection?.catch(() => undefined);
    if (service instanceof DaemonClient) service.close();
    this.connection = undefined;
  }
}
