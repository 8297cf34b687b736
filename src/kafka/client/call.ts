/**
 * A request of zps's own (encoded and decoded by src/wire/kafka) on a broker connection, in the
 * highest version of its API both sides speak, its header v1 or v2 as that version is flexible.
 */
import { Reader, Writer } from '../../wire/kafka/bytes.js';
import type { RequestOf, ResponseOf, Writable } from '../../wire/kafka/definition.js';
import type { ApiName } from '../../wire/kafka/message-types.js';
import type { Api } from '../../wire/kafka/messages.js';
import type { BrokerConnection } from './broker-connection.js';
import { REQUEST_HEADROOM } from './frames.js';

const API_VERSIONS_KEY = 18;

/** `sizeHint`: about how many bytes the request takes (its buffer grows if it takes more). */
export function request<Name extends ApiName>(
  broker: BrokerConnection,
  api: Api<Name>,
  message: Writable<RequestOf<Name>>,
  timeoutMs: number,
  sizeHint = 128,
): Promise<ResponseOf<Name>> {
  const range = broker.versions[api.key];
  const [lowest, highest] = api.versions;
  if (!range || range.maxVersion < lowest || range.minVersion > highest) {
    return Promise.reject(new Error(`the broker does not speak versions ${lowest}-${highest} of ${api.name}`));
  }
  const version = Math.min(highest, range.maxVersion);
  const writer = new Writer(sizeHint, REQUEST_HEADROOM);
  api.request.write(writer, message, version);
  const { flexible } = api.request;
  const isFlexible = version >= flexible.lowest && version <= flexible.highest;
  const spec = {
    apiKey: api.key,
    apiVersion: version,
    flexible: isFlexible,
    // ApiVersions answers with header v0 in every version, so that any client reads it
    flexibleResponse: isFlexible && api.key !== API_VERSIONS_KEY,
    apiName: api.name,
    timeoutMs,
  };
  return broker.send(spec, writer).then((payload) => api.response.read(new Reader(payload), version));
}
