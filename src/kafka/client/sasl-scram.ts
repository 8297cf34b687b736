/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: no channel binding,
 * the user name escaped as saslname, the password as its UTF-8 bytes (as Kafka's Java client), and
 * the server's signature checked, so a server that does not know the password is not believed.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError } from './errors.js';
import type { SaslMechanism } from './sasl.js';

export type ScramHash = 'sha256' | 'sha512';

const GS2_HEADER = 'n,,';

/** RFC 5802 5.1's saslname: ',' and '=' escaped. */
const saslName = (name: string) => name.replaceAll('=', '=3D').replaceAll(',', '=2C');

/** The client-first-message-bare of a user with a nonce. */
export function clientFirstBare(username: string, nonce: string): string {
  return `n=${saslName(username)},r=${nonce}`;
}

/** The server-first-message's attributes (r, s, i), checked. */
function serverFirst(message: string, clientNonce: string): { nonce: string; salt: Buffer; iterations: number } {
  const attributes = new Map(message.split(',').map((part) => [part.slice(0, 1), part.slice(2)] as const));
  const nonce = attributes.get('r');
  const salt = attributes.get('s');
  const iterations = Number(attributes.get('i'));
  if (attributes.has('e')) throw new SaslAuthenticationError(`the broker refused SCRAM: ${attributes.get('e')}`);
  if (nonce === undefined || salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
    throw new SaslAuthenticationError('the broker answered SCRAM with a malformed server-first message');
  }
  if (!nonce.startsWith(clientNonce)) throw new SaslAuthenticationError("the broker's SCRAM nonce does not extend the client's");
  return { nonce, salt: Buffer.from(salt, 'base64'), iterations };
}

/**
 * The client-final-message for the server-first-message `first`, and the server signature the
 * server-final-message must carry (RFC 5802 3).
 */
export function clientFinal(
  hash: ScramHash,
  password: string,
  firstBare: string,
  clientNonce: string,
  first: string,
): { message: string; serverSignature: Buffer } {
  const { nonce, salt, iterations } = serverFirst(first, clientNonce);
  const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
  const hmac = (key: Buffer, text: string) => createHmac(hash, key).update(text).digest();
  const clientKey = hmac(saltedPassword, 'Client Key');
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
  const authMessage = `${firstBare},${first},${withoutProof}`;
  const clientSignature = hmac(storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ clientSignature[i]!));
  return { message: `${withoutProof},p=${proof.toString('base64')}`, serverSignature: hmac(hmac(saltedPassword, 'Server Key'), authMessage) };
}

/** Checks the server-final-message's signature (`v=`), or says the server's error (`e=`). */
export function checkServerFinal(message: string, serverSignature: Buffer): void {
  if (message.startsWith('e=')) throw new SaslAuthenticationError(`the broker refused SCRAM: ${message.slice(2)}`);
  const signature = message.startsWith('v=') ? Buffer.from(message.slice(2), 'base64') : Buffer.alloc(0);
  if (signature.byteLength !== serverSignature.byteLength || !timingSafeEqual(signature, serverSignature)) {
    throw new SaslAuthenticationError("the broker's SCRAM signature is wrong: it does not know the password");
  }
}

export function scramMechanism(hash: ScramHash, username: string, password: string): SaslMechanism {
  return {
    name: hash === 'sha256' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512',
    async authenticate(exchange) {
      const nonce = randomBytes(24).toString('base64');
      const firstBare = clientFirstBare(username, nonce);
      const first = (await exchange(Buffer.from(GS2_HEADER + firstBare))).toString('utf8');
      const final = clientFinal(hash, password, firstBare, nonce, first);
      checkServerFinal((await exchange(Buffer.from(final.message))).toString('utf8'), final.serverSignature);
    },
  };
}
