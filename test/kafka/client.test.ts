/**
 * zps's own Kafka client (src/kafka/client) on the real broker, through internals.ts as the Kafka
 * driver uses it: flexible versions (request header v2, response header v1) as well as the others,
 * and a connection the broker closed made again on the next request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCluster } from '../../src/kafka/connection.js';
import { anyBroker, callBroker, type Cluster } from '../../src/kafka/internals.js';
import * as definitions from '../../src/wire/kafka/definitions.js';
import { compileApi, Metadata } from '../../src/wire/kafka/messages.js';

const settings = () => ({ brokers: [process.env.ZPS_TEST_BROKERS!], timeoutMs: 10_000 });
const everything = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

let cluster: Cluster | undefined;
afterEach(() => cluster?.disconnect());

describe("zps's Kafka client on the broker", () => {
  it('speaks flexible versions: Metadata v12 answers as v8 does, ApiVersions v3 (whose response header stays v0)', async () => {
    cluster = createCluster(settings());
    await cluster.connect();
    const broker = await anyBroker(cluster);
    const flexibleMetadata = compileApi('Metadata', [12, 12], definitions.MetadataRequest, definitions.MetadataResponse);
    const [flexible, plain] = await Promise.all([callBroker(broker, flexibleMetadata, everything, 5_000), callBroker(broker, Metadata, everything, 5_000)]);
    expect(flexible.clusterId).toBe(plain.clusterId);
    expect(flexible.brokers).toEqual(plain.brokers);
    const versions = compileApi('ApiVersions', [3, 3], definitions.ApiVersionsRequest, definitions.ApiVersionsResponse);
    const answer = await callBroker(broker, versions, { clientSoftwareName: 'zps', clientSoftwareVersion: 'test' }, 5_000);
    expect(answer.errorCode).toBe(0);
    expect(answer.apiKeys.find((api) => api.apiKey === Metadata.key)?.maxVersion).toBeGreaterThanOrEqual(12);
  });

  it('a connection that was closed is made again on the next request', async () => {
    cluster = createCluster(settings());
    await cluster.connect();
    const first = await anyBroker(cluster);
    first.close();
    expect(first.isOpen).toBe(false);
    await expect(callBroker(first, Metadata, everything, 5_000)).rejects.toMatchObject({ name: 'KafkaConnectionError', retriable: true });
    const again = await anyBroker(cluster);
    expect(again).not.toBe(first);
    expect((await callBroker(again, Metadata, everything, 5_000)).brokers.length).toBeGreaterThan(0);
  });
});
