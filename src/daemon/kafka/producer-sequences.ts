/**
 * Idempotent producers, as Kafka's broker keeps them: per producer id its epoch, and per partition
 * the next sequence expected and the last five batches stored, so a batch sent again (its ack was
 * lost) is answered with its first offset instead of being stored twice, and a gap is refused.
 */
import { KafkaErrorCode } from '../../wire/kafka/errors.js';

const KEPT_BATCHES = 5;
const SEQUENCE_WRAP = 2 ** 31;

interface PartitionState {
  next: number;
  recent: Array<{ first: number; last: number; baseOffset: number }>;
}

interface Producer {
  epoch: number;
  partitions: Map<string, PartitionState>;
}

export interface SequenceCheck {
  errorCode?: number;
  message?: string;
  /** The batch was stored before, at this offset. */
  duplicateOf?: number;
  /** Call with the batch's first offset once it is stored. */
  stored?: (baseOffset: number) => void;
}

export class ProducerSequences {
  private readonly producers = new Map<number, Producer>();
  /** Ids from the clock, so a client of a previous daemon does not get a new client's id. */
  private nextId = Date.now();

  /** A new producer id at epoch 0, or the same id at the next epoch (KIP-360's bump). */
  initProducer(producerId: number, epoch: number): [number, number] {
    const known = this.producers.get(producerId);
    if (producerId >= 0 && known && known.epoch === epoch) {
      known.epoch = epoch + 1;
      known.partitions.clear();
      return [producerId, known.epoch];
    }
    const id = this.nextId++;
    this.producers.set(id, { epoch: 0, partitions: new Map() });
    return [id, 0];
  }

  check(batch: { producerId: number; producerEpoch: number; baseSequence: number; recordCount: number }, topic: string, partition: number): SequenceCheck {
    if (batch.producerId < 0) return {};
    const producer = this.producers.get(batch.producerId);
    if (!producer) return { errorCode: KafkaErrorCode.UNKNOWN_PRODUCER_ID, message: `producer id ${batch.producerId} is unknown to this broker` };
    if (batch.producerEpoch < producer.epoch)
      return { errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH, message: `epoch ${batch.producerEpoch} is older than ${producer.epoch}` };
    if (batch.producerEpoch > producer.epoch) {
      producer.epoch = batch.producerEpoch;
      producer.partitions.clear();
    }
    const key = `${topic}\0${partition}`;
    const first = batch.baseSequence;
    const last = (first + batch.recordCount - 1) % SEQUENCE_WRAP;
    const state = producer.partitions.get(key);
    const duplicate = state?.recent.find((r) => r.first === first && r.last === last);
    if (duplicate) return { duplicateOf: duplicate.baseOffset };
    const expected = state?.next ?? 0;
    if (first !== expected) {
      return { errorCode: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `sequence ${first} where ${expected} was expected` };
    }
    return {
      stored: (baseOffset) => {
        const kept = producer.partitions.get(key) ?? { next: 0, recent: [] };
        producer.partitions.set(key, kept);
        kept.next = (last + 1) % SEQUENCE_WRAP;
        kept.recent.push({ first, last, baseOffset });
        if (kept.recent.length > KEPT_BATCHES) kept.recent.shift();
      },
    };
  }
}
