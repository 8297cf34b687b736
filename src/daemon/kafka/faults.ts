/**
 * Faults a test makes the Kafka listener show its clients, in process (there is no flag for them):
 * a control sees the requests of one API before their handler and may answer one in its place,
 * hold it, or close its connection in place of its response. Leaders are moved on the listener
 * itself (open.ts).
 */
import type { Message } from '../../wire/kafka/definition.js';
import { items } from './handlers.js';
import type { RequestContext } from './server.js';

/** What a control makes of a request; undefined: it leaves it alone (and stays for the next one). */
export interface ControlAnswer {
  /** Sent in place of the handler's response, which does not run. */
  respond?: Message;
  /** The request is served this much later (the connection's responses after it wait, as for a long poll). */
  delayMs?: number;
  /** The request is served, then its connection closed in place of the response: the client cannot tell whether it was. */
  drop?: boolean;
}

export type Control = (request: Message, context: RequestContext) => ControlAnswer | undefined;

export class Faults {
  private readonly controls: Array<{ api: string; control: Control; keep: boolean }> = [];

  /**
   * Shows `control` each request of `api` until it answers one (then it is gone), or with `keep`
   * until the returned function removes it. Controls see a request in the order they were added.
   */
  control(api: string, control: Control, keep = false): () => void {
    const entry = { api, control, keep };
    this.controls.push(entry);
    return () => this.remove(entry);
  }

  /** The next Produce (after `passing` more go through) fails with `errorCode` on each of its partitions, nothing stored. */
  failProduce(errorCode: number, passing = 0): void {
    this.control(
      'Produce',
      afterPassing(passing, (request) => {
        const responses = items(request.topicData).map((topic) => ({
          name: topic.name,
          partitionResponses: items(topic.partitionData).map((p) => ({ index: p.index, errorCode, baseOffset: -1 })),
        }));
        return { respond: { responses, throttleTimeMs: 0 } };
      }),
    );
  }

  /** Fetches that ask for `topic` are served `ms` late, until the returned function is called. */
  delayFetches(topic: string, ms: number): () => void {
    return this.control('Fetch', (request) => (items(request.topics).some((t) => t.topic === topic) ? { delayMs: ms } : undefined), true);
  }

  /** The next request of `api` (after `passing` more go through) is served and its connection closed before the response goes out. */
  dropConnection(api: string, passing = 0): void {
    this.control(
      api,
      afterPassing(passing, () => ({ drop: true })),
    );
  }

  /** What the listener does with a request before its handler: the first control's answer. */
  decide(api: string, request: Message, context: RequestContext): ControlAnswer | undefined {
    for (const entry of this.controls) {
      if (entry.api !== api) continue;
      const answer = entry.control(request, context);
      if (!answer) continue;
      if (!entry.keep) this.remove(entry);
      return answer;
    }
    return undefined;
  }

  private remove(entry: { api: string; control: Control; keep: boolean }): void {
    const at = this.controls.indexOf(entry);
    if (at >= 0) this.controls.splice(at, 1);
  }
}

/** `control`, once `passing` requests went by untouched. */
function afterPassing(passing: number, control: Control): Control {
  let passed = 0;
  return (request, context) => (passed++ < passing ? undefined : control(request, context));
}
