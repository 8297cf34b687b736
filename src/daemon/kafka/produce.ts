/**
 * Produce and InitProducerId of the Kafka listener. A partition's record batch is checked whole
 * (one batch, magic 2, its CRC-32C, every record decodable, compressed or not) before any record
 * is stored, so nothing is half-written, and stored from its own bytes (ProducedBatch: no object per
 * record); idempotent producers' sequences are checked as Kafka does.
 */
import { ZpsError } from '../../pubsub/errors.js';
import { CompressionError } from '../../wire/compression.js';
import { MalformedKafkaError } from '../../wire/kafka/bytes.js';
import type { Writable } from '../../wire/kafka/definition.js';
import { KafkaErrorCode } from '../../wire/kafka/errors.js';
import type { ProduceResponsePartitionProduceResponse } from '../../wire/kafka/message-types.js';
import { ProducedBatch, RecordCountError } from '../../wire/kafka/record-batch.js';
import { type ListenerContext, type Handlers, TRANSACTIONS_REFUSED, leaderOf } from './handlers.js';
import { ProducerSequences } from './producer-sequences.js';

export function produceHandlers(listener: ListenerContext): Handlers {
  const sequences = new ProducerSequences();

  const producePartition = (topic: string, partition: number, bytes: Buffer | null, node: number): Writable<ProduceResponsePartitionProduceResponse> => {
    const result = (errorCode: number, errorMessage: string | null = null, baseOffset = -1): Writable<ProduceResponsePartitionProduceResponse> => ({
      index: partition,
      errorCode,
      baseOffset,
      logAppendTimeMs: -1,
      logStartOffset: listener.broker.partitionOffsets(topic)?.[partition]?.start ?? -1,
      recordErrors: [],
      errorMessage,
    });
    const partitions = listener.broker.partitionOffsets(topic);
    if (!partitions || partition < 0 || partition >= partitions.length)
      return result(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${partition} in topic ${topic}`);
    if (leaderOf(listener, topic, partition) !== node)
      return result(KafkaErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${node} does not lead ${topic}[${partition}]`);
    if (!bytes) return result(KafkaErrorCode.CORRUPT_MESSAGE, 'no record batch');
    const maxBatchBytes = listener.broker.maxBatchBytes(topic); // the topic's max.message.bytes
    if (bytes.byteLength > maxBatchBytes) {
      return result(KafkaErrorCode.MESSAGE_TOO_LARGE, `record batch of ${bytes.byteLength} bytes is over max.message.bytes (${maxBatchBytes})`);
    }
    let batch: ProducedBatch;
    try {
      batch = ProducedBatch.read(bytes, partition);
    } catch (error) {
      if (error instanceof RecordCountError) return result(KafkaErrorCode.INVALID_RECORD, error.message);
      if (error instanceof MalformedKafkaError || error instanceof CompressionError) return result(KafkaErrorCode.CORRUPT_MESSAGE, error.message);
      throw error;
    }
    if (batch.transactional) return result(KafkaErrorCode.INVALID_RECORD, TRANSACTIONS_REFUSED.errorMessage);
    const sequence = sequences.check(batch.header, topic, partition);
    if (sequence.errorCode !== undefined) return result(sequence.errorCode, sequence.message);
    if (sequence.duplicateOf !== undefined) return result(KafkaErrorCode.NONE, null, sequence.duplicateOf);
    try {
      const baseOffset = listener.broker.produce(topic, batch)[0]?.[1] ?? -1;
      sequence.stored?.(baseOffset);
      return result(KafkaErrorCode.NONE, null, baseOffset);
    } catch (error) {
      if (!(error instanceof ZpsError)) throw error;
      // the memory cap and size limits, told in Kafka's words: the client reports the message
      const errorCode =
        error.code === 'too-large'
          ? KafkaErrorCode.MESSAGE_TOO_LARGE
          : error.reason === 'memory-full'
            ? KafkaErrorCode.POLICY_VIOLATION
            : KafkaErrorCode.INVALID_RECORD;
      return result(errorCode, error.message);
    }
  };

  return {
    Produce: (request, { node }) => {
      if (request.transactionalId !== null) {
        return {
          responses: request.topicData.map((topic) => ({
            name: topic.name,
            partitionResponses: topic.partitionData.map((p) => ({ index: p.index, ...TRANSACTIONS_REFUSED, baseOffset: -1 })),
          })),
        };
      }
      const responses = request.topicData.map((topic) => ({
        name: topic.name,
        partitionResponses: topic.partitionData.map((p) => producePartition(topic.name, p.index, p.records, node)),
      }));
      return request.acks === 0 ? null : { responses, throttleTimeMs: 0 };
    },

    InitProducerId: (request) => {
      if (request.transactionalId !== null) return { throttleTimeMs: 0, errorCode: TRANSACTIONS_REFUSED.errorCode, producerId: -1, producerEpoch: -1 };
      const [producerId, producerEpoch] = sequences.initProducer(request.producerId, request.producerEpoch);
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.NONE, producerId, producerEpoch };
    },
  };
}
