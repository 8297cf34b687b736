/**
 * Kafka's message definitions compiled (src/wire/kafka/definition.ts): every message zps speaks,
 * in every valid version, reads back what was written; and the bytes are the ones kafkajs's
 * encoders write. The generated files are what scripts/kafka-definitions.mjs writes from the jar.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/wire/kafka/bytes.js';
import { compileMessage, versionRange, type FieldDefinition, type Message } from '../../src/wire/kafka/definition.js';
import { DEFINITIONS } from '../../src/wire/kafka/definitions.js';
import { KafkaErrorCode, KAFKA_ERRORS } from '../../src/wire/kafka/errors.js';
import { defaultJar, generated } from '../../scripts/kafka-definitions.mjs';

const require = createRequire(import.meta.url);

/** A value for every field the version has, none of them a default, so a field written or read wrong shows. */
function sample(fields: FieldDefinition[], version: number, common: Map<string, FieldDefinition[]>, seed = 1): Message {
  const message: Message = {};
  fields.forEach((field, i) => {
    const key = field.name.charAt(0).toLowerCase() + field.name.slice(1);
    const range = versionRange(field.versions);
    if (version < range.lowest || version > range.highest) return;
    message[key] = valueFor(field, field.type, version, common, seed + i);
  });
  return message;
}

function valueFor(field: FieldDefinition, type: string, version: number, common: Map<string, FieldDefinition[]>, seed: number): unknown {
  if (type.startsWith('[]')) return [valueFor(field, type.slice(2), version, common, seed), valueFor(field, type.slice(2), version, common, seed + 1)];
  switch (type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint16':
      return 1 + (seed % 100);
    case 'int64':
      return 2 ** 40 + seed;
    case 'float64':
      return 0.5 + seed;
    case 'bool':
      return true;
    case 'string':
      return `s${seed}-é`;
    case 'bytes':
    case 'records':
      return Buffer.from([seed, 0, 255]);
    case 'uuid':
      return Buffer.alloc(16, seed);
    default:
      return sample(field.fields ?? common.get(type)!, version, common, seed * 10);
  }
}

describe("Kafka's message definitions, compiled", () => {
  for (const [name, definition] of Object.entries(DEFINITIONS)) {
    it(`${name}: every valid version reads back what was written`, () => {
      const type = compileMessage(definition);
      const common = new Map((definition.commonStructs ?? []).map((s) => [s.name, s.fields]));
      const { lowest, highest } = versionRange(definition.validVersions);
      for (let version = lowest; version <= highest; version++) {
        const message = sample(definition.fields, version, common);
        const writer = new Writer(64);
        type.write(writer, message, version);
        const bytes = writer.finish();
        const reader = new Reader(bytes);
        const read = type.read(reader, version);
        expect(reader.remaining, `${name} v${version}: bytes left over`).toBe(0);
        expect(pick(read, message), `${name} v${version}`).toEqual(message);
      }
    });
  }

  it("writes ApiVersions and Metadata requests as kafkajs's encoders do", async () => {
    const apiVersions = compileMessage(DEFINITIONS.ApiVersionsRequest!);
    const kafkajsApiVersions = require('kafkajs/src/protocol/requests/apiVersions/v2/request');
    const ours = new Writer(8);
    apiVersions.write(ours, {}, 2);
    expect(ours.finish()).toEqual((await kafkajsApiVersions().encode()).buffer);
    const metadata = compileMessage(DEFINITIONS.MetadataRequest!);
    const kafkajsMetadata = require('kafkajs/src/protocol/requests/metadata/v6/request');
    const mine = new Writer(32);
    metadata.write(mine, { topics: [{ name: 'orders' }, { name: 'users' }], allowAutoTopicCreation: false }, 6);
    expect(mine.finish()).toEqual((await kafkajsMetadata({ topics: ['orders', 'users'], allowAutoTopicCreation: false }).encode()).buffer);
  });

  it('skips tagged fields it does not know, and reads a tagged field it knows', () => {
    const response = compileMessage(DEFINITIONS.ApiVersionsResponse!);
    const writer = new Writer(32);
    writer.int16(0).uvarint(1); // no error, an empty compact array
    writer.int32(0); // throttle
    writer.uvarint(2); // two tagged fields: one unknown (tag 9), FinalizedFeaturesEpoch (tag 1)
    writer.uvarint(1).uvarint(8).int64(42);
    writer
      .uvarint(9)
      .uvarint(3)
      .raw(Buffer.from([1, 2, 3]));
    const read = response.read(new Reader(writer.finish()), 3);
    expect(read).toMatchObject({ errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: 42, supportedFeatures: [] });
  });
});

const root = fileURLToPath(new URL('../..', import.meta.url));
const libs = join(root, '.cache', 'kafka', 'libs');
/** The jar npm run kafka:up fetches; the check of the generated files needs it (and Java). */
const jarPresent = existsSync(libs) && readdirSync(libs).some((name) => /^kafka-clients-[\d.]+\.jar$/.test(name));

describe('the generated files', () => {
  it.skipIf(!jarPresent)(
    'are what scripts/kafka-definitions.mjs writes from the kafka-clients jar',
    () => {
      const files: Record<string, string> = generated(defaultJar());
      expect(Object.keys(files).length).toBe(3);
      for (const [path, text] of Object.entries(files)) expect(readFileSync(join(root, path), 'utf8'), `${path}: run npm run kafka:definitions`).toBe(text);
    },
    30_000,
  ); // Java reads the error table

  it("hold Kafka's whole error table, each code once, the names zps acts on among them", () => {
    const codes = Object.values(KafkaErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(KAFKA_ERRORS).length).toBe(codes.length);
    for (const [name, code] of Object.entries(KafkaErrorCode)) expect(KAFKA_ERRORS[code]?.name).toBe(name);
    expect(KAFKA_ERRORS[KafkaErrorCode.NOT_LEADER_OR_FOLLOWER]).toMatchObject({ name: 'NOT_LEADER_OR_FOLLOWER', retriable: true });
    expect(KAFKA_ERRORS[KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED]).toMatchObject({ name: 'TOPIC_AUTHORIZATION_FAILED', retriable: false });
    expect(KafkaErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(KafkaErrorCode.SHARE_SESSION_LIMIT_REACHED).toBe(133);
  });
});

/** The fields of `read` that `written` has (the rest are defaults of fields the version lacks). */
function pick(read: unknown, written: unknown): unknown {
  if (Array.isArray(written)) return (read as unknown[]).map((item, i) => pick(item, written[i]));
  if (written && typeof written === 'object' && !Buffer.isBuffer(written)) {
    return Object.fromEntries(Object.keys(written).map((key) => [key, pick((read as Message)[key], (written as Message)[key])]));
  }
  return read;
}
