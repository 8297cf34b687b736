import type { RequestOf, ResponseOf, Writable } from '../../wire/kafka/definition.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type { ApiName } from '../../wire/kafka/message-types.js';
import type { Api } from '../../wire/kafka/messages.js';
import { call, withCoordinator, type Cluster } from '../internals.js';

/** A coordinator's answers that mean: ask who coordinates the group, then ask it again. */
export const COORDINATOR_MOVED: ReadonlySet<number> = new Set([
  KafkaErrorCode.NOT_COORDINATOR,
  KafkaErrorCode.COORDINATOR_NOT_AVAILABLE,
  KafkaErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

const BACKOFF_MS = { initial: 100, max: 1_000 };

/**
 * The requests of one group to its coordinator (the cluster keeps it, withCoordinator). When it says
 * it is not the coordinator (moved, loading) or its connection fails, it is found again and the
 * request sent again, until `timeoutMs` has passed.
 */
export class GroupCoordinator {
  constructor(
    private readonly cluster: Cluster,
    readonly group: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The coordinator's answer to `request`, past the answers that mean it moved. `errorOf`: the
   * answer's error code. `waitMs`: how long the coordinator may hold the request (JoinGroup's rebalance).
   * `alone`: on a connection of its own, not behind a request the coordinator holds (call's).
   */
  async send<Name extends ApiName>(
    api: Api<Name>,
    request: Writable<RequestOf<Name>>,
    errorOf: (response: ResponseOf<Name>) => number,
    waitMs = 0,
    alone = false,
  ): Promise<ResponseOf<Name>> {
    const deadline = Date.now() + this.timeoutMs + waitMs;
    for (let backoff = BACKOFF_MS.initial; ; backoff = Math.min(backoff * 2, BACKOFF_MS.max)) {
      let failure: unknown;
      try {
        return await withCoordinator(this.cluster, this.group, async (node) => {
          const response = await call(this.cluster, node, api, request, this.timeoutMs + waitMs, alone);
          if (!COORDINATOR_MOVED.has(errorOf(response))) return response;
          throw Object.assign(new Error(`the coordinator of group ${this.group} moved (Kafka error ${errorOf(response)})`), { retriable: true });
        });
      } catch (error) {
        failure = error;
      }
      if (Date.now() + backoff >= deadline) throw failure;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}
