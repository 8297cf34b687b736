import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unique } from '../helpers/wait.js';
import { zps } from '../helpers/zps.js';

/** A context carries SASL to the real broker's SASL listener: made once, then named by --context, ZPS_CONTEXT or `use`. */
describe('contexts against the real broker', () => {
  it('a SASL context (its password a reference to an environment variable) publishes and consumes, the password never printed', async () => {
    const config = mkdtempSync(join(tmpdir(), 'zps-contexts-'));
    const password = process.env.ZPS_TEST_SASL_PASSWORD!;
    const env = { XDG_CONFIG_HOME: config, KAFKA_TEST_PASSWORD: password };
    const kz = (args: string[], extra: NodeJS.ProcessEnv = {}) => zps('/nonexistent/unused.sock', args, { env: { ...env, ...extra }, timeoutMs: 60_000 });
    const add = ['context', 'add', 'sasl', '-e', 'test', '-b', process.env.ZPS_TEST_SASL_BROKERS!, '--sasl-mechanism', 'scram-sha-256'];
    const credentials = ['--sasl-username', process.env.ZPS_TEST_SASL_USER!, '--sasl-password-env', 'KAFKA_TEST_PASSWORD'];
    expect(await kz([...add, ...credentials])).toMatchObject({ code: 0, stderr: '' });
    const t = unique('ctx');
    expect(await kz(['publish', t, 'via-context', '--context', 'sasl'])).toMatchObject({ code: 0, stderr: '' });
    expect(await kz(['count', t], { ZPS_CONTEXT: 'sasl' })).toMatchObject({ code: 0, stdout: '1\n', stderr: '' });
    expect((await kz(['context', 'use', 'sasl'])).code).toBe(0);
    const consumed = await kz(['consume', t, '--verbose']);
    expect(consumed).toMatchObject({ code: 0, stdout: 'via-context\n' });
    expect(consumed.stdout + consumed.stderr).not.toContain(password);
    // without the variable the reference cannot resolve: one line naming the context and the setting
    expect(await kz(['count', t], { KAFKA_TEST_PASSWORD: undefined })).toMatchObject({
      code: 2,
      stderr: 'zps: sasl-password of context sasl: the environment variable KAFKA_TEST_PASSWORD is not set\n',
    });
  });
});
