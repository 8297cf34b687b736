#!/usr/bin/env node
/**
 * The OAuth side of the test servers: an identity provider as small as the broker's OAUTHBEARER
 * listener needs. It makes an RS256 key at start and serves
 *
 *   GET  /jwks                the key set the broker validates tokens against
 *   POST /token               OAuth client credentials (client id and secret in HTTP basic auth or
 *                             in the form): a JWT with iss, aud, sub, scope, iat, exp; a wrong
 *                             client is 401 invalid_client. `?lifetime=<seconds>` in the endpoint's
 *                             URL makes short-lived (or, negative, already expired) tokens.
 *   GET  /mint?lifetime=<s>&sub=<name>   a token as text, for static tokens and token commands.
 *
 *   node scripts/oauth-fixture.mjs <port>     (its pid in the caller's pid file, as the others)
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

export const oauthClient = { id: 'zps-client', secret: 'zps-client-secret' };
export const oauthAudience = 'zps-kafka';

/** The issuer (and base URL) of a fixture on `port`. */
export function oauthIssuer(port) {
  return `http://127.0.0.1:${port}`;
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function serve(port) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `zps-test-${Date.now()}`;
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const issuer = oauthIssuer(port);
  const mint = (sub, lifetime, scope) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, aud: oauthAudience, sub, scope, iat: now, exp: now + lifetime };
    const input = `${base64url({ alg: 'RS256', typ: 'JWT', kid })}.${base64url(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    const lifetime = Number(url.searchParams.get('lifetime') ?? 3600);
    const reply = (status, type, body) => response.writeHead(status, { 'content-type': type }).end(body);
    if (request.method === 'GET' && url.pathname === '/jwks') return reply(200, 'application/json', jwks);
    if (request.method === 'GET' && url.pathname === '/mint')
      return reply(200, 'text/plain', mint(url.searchParams.get('sub') ?? 'zps-user', lifetime, 'kafka'));
    if (request.method !== 'POST' || url.pathname !== '/token') return reply(404, 'text/plain', 'not found');
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
      const [id, secret] = basic
        ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent)
        : [form.get('client_id'), form.get('client_secret')];
      if (form.get('grant_type') !== 'client_credentials') {
        return reply(400, 'application/json', JSON.stringify({ error: 'unsupported_grant_type' }));
      }
      if (id !== oauthClient.id || secret !== oauthClient.secret) {
        return reply(401, 'application/json', JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' }));
      }
      const scope = form.get('scope') ?? 'kafka';
      const token = mint(id, lifetime, scope);
      reply(200, 'application/json', JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: lifetime, scope }));
    });
  });
  server.listen(port, '127.0.0.1');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  serve(Number(process.argv[2]));
}
