import { MemoryBroker } from '../memory/broker.js';
import { InProcessService } from '../memory/service.js';

let shared: MemoryBroker | undefined;

/** The process-wide in-process broker: every `inProcess` factory of a process shares it. */
export function inProcessBroker(): MemoryBroker {
  return (shared ??= new MemoryBroker());
}

export function inProcessService(): InProcessService {
  return new InProcessService(inProcessBroker());
}
