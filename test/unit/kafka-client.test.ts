/**
 * zps's own Kafka connections (src/kafka/client): request frames as kafkajs writes them (header v1)
 * and with header v2, written in the body's headroom; responses cut from a stream with at most one
 * copy; SCRAM against RFC 7677's exchange; a broker connection's requests answered in order, and
 * one not answered in time closing it.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokerConnection } from '../../src/kafka/client/broker-connection.js';
import { FrameSplitter, frameRequest, REQUEST_HEADROOM } from '../../src/kafka/client/frames.js';
import { checkServerFinal, clientFinal, clientFirstBare } from '../../src/kafka/client/sasl-scram.js';
import { Writer } from '../../src/wire/kafka/bytes.js';

function body(): Writer {
  return new Writer(16, REQUEST_HEADROOM).int32(7).string('body');
}

describe('request frames', () => {
  it("header v1: kafkajs's bytes, written in the body's headroom without a copy", async () => {
    const require = createRequire(import.meta.url);
    const kafkajsFraming = require('kafkajs/src/protocol/request.js') as (options: object) => Promise<{ buffer: Buffer }>;
    const writer = body();
    const bytes = writer.finish();
    const request = { apiKey: 0, apiVersion: 7, encode: async () => ({ buf: bytes, buffer: bytes }) };
    const expected = (await kafkajsFraming({ correlationId: 42, clientId: 'zps', request })).buffer;
    const framed = frameRequest(bytes, writer.headroom, 0, 7, 42, false);
    expect(framed).toEqual(expected);
    expect(framed.buffer).toBe(bytes.buffer); // the body's own memory
  });

  it('header v2 adds empty tagged fields; a body without headroom is framed in a new buffer, the same bytes', () => {
    const writer = body();
    const framed = Buffer.from(frameRequest(writer.finish(), writer.headroom, 1, 12, 5, true));
    expect(framed.readInt32BE(0)).toBe(framed.byteLength - 4);
    expect([framed.readInt16BE(4), framed.readInt16BE(6), framed.readInt32BE(8)]).toEqual([1, 12, 5]);
    expect(framed.toString('latin1', 12, 17)).toBe('\u0000\u0003zps');
    expect(framed[17]).toBe(0); // no tagged fields
    expect(framed.subarray(18)).toEqual(writer.finish());
    const bare = Buffer.from(writer.finish());
    const copied = frameRequest(bare, 0, 1, 12, 5, true);
    expect(copied).toEqual(framed);
    bare[0] = 0xff;
    expect(copied[18]).toBe(framed[18]); // a copy, not the body's memory
  });
});

describe('response frames', () => {
  const frame = (text: string) => {
    const bytes = Buffer.alloc(4 + text.length);
    bytes.writeInt32BE(text.length);
    bytes.write(text, 4, 'latin1');
    return bytes;
  };

  it('frames in one chunk are views of it; a frame over many chunks is gathered into one buffer', () => {
    const splitter = new FrameSplitter();
    const frames: Buffer[] = [];
    const chunk = Buffer.concat([frame('first'), frame('second'), frame('third-and-long')]);
    const cut = chunk.byteLength - 9;
    splitter.push(chunk.subarray(0, cut), (f) => frames.push(f));
    expect(frames.map(String)).toEqual(['first', 'second']);
    // the third: its start in the first chunk, then two more
    splitter.push(chunk.subarray(cut, cut + 4), (f) => frames.push(f));
    expect(frames).toHaveLength(2);
    splitter.push(Buffer.concat([chunk.subarray(cut + 4), frame('last')]), (f) => frames.push(f));
    expect(frames.map(String)).toEqual(['first', 'second', 'third-and-long', 'last']);
    chunk.fill(0);
    expect(frames.map(String).slice(1, 3)).toEqual(['\u0000'.repeat(6), 'third-and-long']); // views of the chunk, the gathered one a copy
  });

  it('a size split across chunks, byte by byte', () => {
    const splitter = new FrameSplitter();
    const frames: string[] = [];
    const bytes = Buffer.concat([frame('abcd'), frame('defgh')]);
    for (let i = 0; i < bytes.byteLength; i++) splitter.push(bytes.subarray(i, i + 1), (f) => frames.push(String(f)));
    expect(frames).toEqual(['abcd', 'defgh']);
  });

  it('a negative size is not a Kafka response', () => {
    expect(() => new FrameSplitter().push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => {})).toThrow(/not a Kafka response/);
  });
});

describe('SCRAM (RFC 5802, RFC 7677)', () => {
  // RFC 7677 section 3: user "user", password "pencil"
  const nonce = 'rOprNGfwEbeRWgbNEkqO';
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

  it("SCRAM-SHA-256: RFC 7677's client-final-message, and its server signature accepted", () => {
    const first = clientFirstBare('user', nonce);
    expect(`n,,${first}`).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = clientFinal('sha256', 'pencil', first, nonce, serverFirst);
    expect(final.message).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(() => checkServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=', final.serverSignature)).not.toThrow();
  });

  it('refuses a wrong server signature, a server error, and a nonce that does not extend the client one', () => {
    const first = clientFirstBare('user', nonce);
    const final = clientFinal('sha256', 'pencil', first, nonce, serverFirst);
    expect(() => checkServerFinal('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', final.serverSignature)).toThrow(/does not know the password/);
    expect(() => checkServerFinal('e=invalid-proof', final.serverSignature)).toThrow(/invalid-proof/);
    expect(() => clientFinal('sha256', 'pencil', first, nonce, 'r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')).toThrow(/nonce/);
  });

  it("escapes ',' and '=' in the user name (saslname)", () => {
    expect(clientFirstBare('a,b=c', 'n')).toBe('n=a=2Cb=3Dc,r=n');
  });
});

describe('a broker connection', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** A broker that hands every request's API key and correlation id to `onRequest`; resolves its port. */
  async function rawBroker(onRequest: (socket: Socket, correlationId: number, apiKey: number) => void): Promise<number> {
    server = createServer((socket) => {
      const splitter = new FrameSplitter();
      socket.on('data', (chunk: Buffer) => splitter.push(chunk, (frame) => onRequest(socket, frame.readInt32BE(4), frame.readInt16BE(0))));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** ApiVersions v2's answer: no error, Metadata 0-12, throttle 0. */
  function apiVersionsAnswer(correlationId: number): Buffer {
    const bytes = Buffer.alloc(4 + 4 + 2 + 4 + 6 + 4);
    bytes.writeInt32BE(bytes.byteLength - 4, 0);
    bytes.writeInt32BE(correlationId, 4);
    bytes.writeInt32BE(1, 10);
    bytes.writeInt16BE(3, 14);
    bytes.writeInt16BE(12, 18);
    return bytes;
  }

  /** A broker that answers ApiVersions, then hands every later request's API key and correlation id to `onRequest`. */
  function broker(onRequest: (socket: Socket, correlationId: number, apiKey: number) => void): Promise<number> {
    return rawBroker((socket, correlationId, apiKey) =>
      apiKey === 18 ? socket.write(apiVersionsAnswer(correlationId)) : onRequest(socket, correlationId, apiKey),
    );
  }

  const answer = (correlationId: number, text: string) => {
    const bytes = Buffer.alloc(8 + text.length);
    bytes.writeInt32BE(4 + text.length);
    bytes.writeInt32BE(correlationId, 4);
    bytes.write(text, 8, 'latin1');
    return bytes;
  };
  const withId = (correlationId: number, bytes: Buffer) => {
    const framed = Buffer.alloc(8 + bytes.byteLength);
    framed.writeInt32BE(4 + bytes.byteLength);
    framed.writeInt32BE(correlationId, 4);
    bytes.copy(framed, 8);
    return framed;
  };
  /** PLAIN's one message, its answer not looked at. */
  const plain = { name: 'PLAIN', authenticate: async (exchange: (bytes: Buffer) => Promise<Buffer>) => void (await exchange(Buffer.from('\0u\0p'))) };
  const spec = { apiKey: 3, apiVersion: 4, flexible: false, flexibleResponse: false, apiName: 'Metadata', timeoutMs: 1_000 };

  it('knows the versions the broker speaks, and matches each answer to its request, many in flight', async () => {
    const asked: Array<[Socket, number]> = [];
    const port = await broker((socket, id) => {
      asked.push([socket, id]);
      if (asked.length === 3) for (const [s, c] of asked) s.write(answer(c, `answer ${c}`));
    });
    const connection = await BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000 });
    expect(connection.versions[3]).toEqual({ minVersion: 0, maxVersion: 12 });
    const answers = await Promise.all([1, 2, 3].map(() => connection.send(spec, body())));
    expect(answers.map(String)).toEqual(['answer 1', 'answer 2', 'answer 3']);
    connection.close();
  });

  it('sends each SASL request once the one before is answered: over TLS, Kafka reads one queued behind another only at its next poll', async () => {
    const sentEarly: number[] = [];
    let pending = 0;
    const answerSoon = (socket: Socket, answer: Buffer) => {
      pending++;
      setTimeout(() => {
        pending--;
        socket.write(answer);
      }, 20);
    };
    const port = await rawBroker((socket, correlationId, apiKey) => {
      if (pending > 0) sentEarly.push(apiKey);
      if (apiKey === 18) answerSoon(socket, apiVersionsAnswer(correlationId));
      if (apiKey === 17) answerSoon(socket, withId(correlationId, Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 5]), Buffer.from('PLAIN')])));
      if (apiKey === 36) answerSoon(socket, withId(correlationId, Buffer.alloc(2 + 2 + 4 + 8).fill(0xff, 2, 4))); // no error, no session lifetime
    });
    const connection = await BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000, sasl: plain });
    expect(sentEarly).toEqual([]);
    connection.close();
  });

  it('a SASL mechanism the broker refuses: the error names those it accepts', async () => {
    const port = await broker((socket, correlationId, apiKey) => {
      // UNSUPPORTED_SASL_MECHANISM (33), enabled: [SCRAM-SHA-512]; then the broker closes, as Kafka does
      if (apiKey === 17) socket.end(withId(correlationId, Buffer.concat([Buffer.from([0, 33, 0, 0, 0, 1, 0, 13]), Buffer.from('SCRAM-SHA-512')])));
    });
    await expect(BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000, sasl: plain })).rejects.toThrow(
      'the brokers do not accept SASL PLAIN (they accept SCRAM-SHA-512)',
    );
  });

  it('a probe unanswered in its time closes the connection: what was sent behind it fails, retriable', async () => {
    let versionsAsked = 0;
    // the first ApiVersions only: then silent, as a connection the network dropped
    const port = await rawBroker((socket, correlationId, apiKey) => apiKey === 18 && versionsAsked++ === 0 && socket.write(apiVersionsAnswer(correlationId)));
    const connection = await BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 5_000 });
    connection.probe(100);
    await expect(connection.send({ ...spec, timeoutMs: 5_000 }, body())).rejects.toMatchObject({
      message: `127.0.0.1:${port} did not answer on a connection kept from an earlier command within 100 ms`,
      retriable: true,
    });
    expect(connection.isOpen).toBe(false);
    expect(versionsAsked).toBe(2);
  });

  it('a request not answered in time fails with a timeout and closes the connection', async () => {
    const port = await broker(() => {});
    const connection = await BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000 });
    await expect(connection.send({ ...spec, timeoutMs: 100 }, body())).rejects.toThrow(/Metadata got no answer from 127\.0\.0\.1:\d+ within 100 ms/);
    expect(connection.isOpen).toBe(false);
  });

  it('a refused connection says so, retriable', async () => {
    const port = await broker(() => {});
    server!.close();
    await once(server!, 'close');
    await expect(BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000 })).rejects.toMatchObject({
      message: `connect ECONNREFUSED 127.0.0.1:${port}`,
      retriable: true,
    });
  });

  it('authenticates again on the same connection before the session the broker granted ends, requests after it waiting their turn (KIP-368)', async () => {
    const SESSION_MS = 60_000;
    const seen: number[] = [];
    const port = await broker((socket, id, apiKey) => {
      seen.push(apiKey);
      if (apiKey === 17) {
        // SaslHandshake v1: no error, mechanisms [PLAIN]
        return socket.write(withId(id, Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 5]), Buffer.from('PLAIN')])));
      }
      if (apiKey === 36) {
        // SaslAuthenticate v1: no error, no message, no bytes, the session's lifetime
        const body = Buffer.alloc(2 + 2 + 4 + 8);
        body.writeInt16BE(-1, 2);
        body.writeBigInt64BE(BigInt(SESSION_MS), 8);
        return socket.write(withId(id, body));
      }
      socket.write(answer(id, 'data'));
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const connection = await BrokerConnection.open('127.0.0.1', port, { connectTimeoutMs: 1_000, sasl: plain });
      expect(seen).toEqual([17, 36]);
      expect(String(await connection.send(spec, body()))).toBe('data');
      vi.setSystemTime(Date.now() + SESSION_MS - 9_000); // within the last 10 s of the session
      const answers = await Promise.all([connection.send(spec, body()), connection.send(spec, body())]);
      expect(answers.map(String)).toEqual(['data', 'data']);
      expect(seen).toEqual([17, 36, 3, 17, 36, 3, 3]);
      expect(connection.isOpen).toBe(true);
      connection.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
