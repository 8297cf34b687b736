/**
 * Faults a test makes the Kafka listener show its clients, in process (there is no flag for them):
 * a control sees the requests of one API before their handler and may answer one in its place,
 * hold it, or close its connection in place of its response. Leaders are moved on the listener
 * itself (open.ts).
 */
import type { RequestOf, ResponseOf, Writable } from '../../wire/kafka/definition.js';
import type { ApiName } from '../../wire/kafka/message-types.js';
import type { RequestContext } from './server.js';

/** What a control makes of a request; undefined: it leaves it alone (and stays for the next one). */
export interface ControlAnswer<Name extends ApiName> {
  /** Sent in place of the handler's response, which does not run. */
  respond?: Writable<ResponseOf<Name>>;
  /** The request is served this much later (the connection's responses after it wait, as for a long poll). */
  delayMs?: number;
  /** The request is served, then its connection closed in place of the response: the client cannot tell whether it was. */
  drop?: boolean;
}

export type Control<Name extends ApiName> = (request: RequestOf<Name>, context: RequestContext) => ControlAnswer<Name> | undefined;

interface Entry<Name extends ApiName = ApiName> {
  api: Name;
  control: Control<Name>;
  keep: boolean;
}

export class Faults {
  private readonly controls: Entry[] = [];

  /**
   * Shows `control` each request of `api` until it answers one (then it is gone), or with `keep`
   * until the returned function removes it. Controls see a request in the order they were added.
   */
  control<Name extends ApiName>(api: Name, control: Control<Name>, keep = false): () => void {
    // kept with its api: decide() hands it only requests of that api
    const entry = { api, control, keep } as unknown as Entry;
    this.controls.push(entry);
    return () => this.remove(entry);
  }

  /** The next Produce (after `passing` more go through) fails with `errorCode` on each of its partitions, nothing stored. */
  failProduce(errorCode: number, passing = 0): void {
    this.control(
      'Produce',
      afterPassing(passing, (request) => {
        const responses = request.topicData.map((topic) => ({
          name: topic.name,
          partitionResponses: topic.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1 })),
        }));
        return { respond: { responses, throttleTimeMs: 0 } };
      }),
    );
  }

  /** Fetches that ask for `topic` are served `ms` late, until the returned function is called. */
  delayFetches(topic: string, ms: number): () => void {
    return this.control('Fetch', (request) => (request.topics.some((t) => t.topic === topic) ? { delayMs: ms } : undefined), true);
  }

  /** The next request of `api` (after `passing` more go through) is served and its connection closed before the response goes out. */
  dropConnection(api: ApiName, passing = 0): void {
    this.control(
      api,
      afterPassing(passing, () => ({ drop: true })),
    );
  }

  /** What the listener does with a request before its handler: the first control's answer. */
  decide<Name extends ApiName>(api: Name, request: RequestOf<Name>, context: RequestContext): ControlAnswer<Name> | undefined {
    for (const entry of this.controls) {
      if (entry.api !== api) continue;
      const answer = (entry as unknown as Entry<Name>).control(request, context);
      if (!answer) continue;
      if (!entry.keep) this.remove(entry);
      return answer;
    }
    return undefined;
  }

  private remove(entry: Entry): void {
    const at = this.controls.indexOf(entry);
    if (at >= 0) this.controls.splice(at, 1);
  }
}

/** `control`, once `passing` requests went by untouched. */
function afterPassing<Name extends ApiName>(passing: number, control: Control<Name>): Control<Name> {
  let passed = 0;
  return (request, context) => (passed++ < passing ? undefined : control(request, context));
}
