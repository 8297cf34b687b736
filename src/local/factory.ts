import { DaemonClient } from '../daemon/client.js';
import { connectDaemon } from '../daemon/connect.js';
import { defaultSocketPath } from '../daemon/paths.js';
import type { BrokerLimits } from '../memory/broker.js';
import type { BrokerService } from '../memory/service.js';
import { usageError } from '../pubsub/errors.js';
import { FactoryBase } from '../pubsub/factory-base.js';
import type { ErrorCallback, RetryOptions } from '../pubsub/retry.js';
import type { Admin, Consumer, Reader, ReaderOptions, RecordSender } from '../pubsub/types.js';
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

/** Local mode: the memory broker, hosted by the daemon (default) or in this process. */
export class LocalFactory extends FactoryBase {
  private connection: Promise<BrokerService> | undefined;
  private readonly sender: RecordSender;

  constructor(private readonly options: LocalFactoryOptions) {
    super(options.environment, options.consumerGroup);
    this.sender = new LocalSender(this.service);
  }

  /** The broker service, connecting (and reconnecting after the daemon went away) on demand. */
  readonly service = async (): Promise<BrokerService> => {
    if (this.connection) {
      const current = await this.connection.catch(() => undefined);
      if (current && !(current instanceof DaemonClient && current.isClosed)) return current;
    }
    this.connection = this.options.inProcess
      ? import('./in-process.js').then(({ inProcessService }) => inProcessService()) // the broker code, only where it runs
      : connectDaemon({
          socket: this.options.socket ?? defaultSocketPath(),
          autostart: this.options.autostart,
          timeoutMs: this.options.timeoutMs,
          limits: this.options.daemonLimits,
          onStarting: this.options.onDaemonStarting,
        });
    return this.connection;
  };

  getAdmin(): Admin {
    return new LocalAdmin(this.service);
  }

  getSender(): RecordSender {
    return this.sender;
  }

  async valueEncoder(): Promise<never> {
    throw usageError('encoding with a schema needs Kafka with a schema registry', 'schema-needs-kafka');
  }

  protected newConsumer(group: string | undefined): Consumer {
    return new LocalConsumer(this.service, { group, retry: this.options.retry, onError: this.options.onError });
  }

  protected async newReader(options: ReaderOptions): Promise<Reader> {
    return openLocalReader(await this.service(), options);
  }

  protected async closeConnections(): Promise<void> {
    const service = await this.connection?.catch(() => undefined);
    if (service instanceof DaemonClient) service.close();
    this.connection = undefined;
  }
}
