/** The zps library: createFactory for publishers and consumers, getMemoryBroker for local-mode tests. */
import { createFactory, type FactoryOptions } from './factory.js';

export { createFactory, createTools, type FactoryOptions } from './factory.js';
export { ZpsError, isZpsError, type ErrorCode, type ErrorReason } from './pubsub/errors.js';
export { MAX_MESSAGE_BYTES } from './pubsub/limits.js';
export type { RetryOptions, ErrorCallback } from './pubsub/retry.js';
export type * from './pubsub/types.js';
export type * from './records/record.js';
export type { RecordBatch } from './records/record-batch.js';
export { TYPE_HEADER } from './pubsub/types.js';

export interface MemoryBrokerHelpers {
  /** Drops every topic and group, or empties only the named topics (as Kafka's DeleteRecords: partitions, settings and offsets stay) and drops their groups' offsets. */
  reset(topics?: string[]): Promise<void>;
  getMessageCount(topic: string): Promise<number>;
  getLag(group: string, topic: string): Promise<number>;
  /** Closes the connection to the daemon (the daemon and its messages stay). */
  close(): Promise<void>;
}

/**
 * Helpers for tests of applications in local mode (count, lag, reset), on the broker local factories
 * use: the daemon (default, same socket resolution as createFactory) or, with `inProcess: true`, this process's.
 */
export function getMemoryBroker(options: Pick<FactoryOptions, 'inProcess' | 'socketPath' | 'autostart' | 'timeoutMs'> = {}): MemoryBrokerHelpers {
  const factory = createFactory({ ...options, environment: 'local' });
  const admin = factory.getAdmin();
  return {
    reset: (topics) => admin.reset(topics),
    getMessageCount: (topic) => admin.count(topic),
    getLag: (group, topic) => admin.lag(group, topic),
    close: () => factory.close(),
  };
}
