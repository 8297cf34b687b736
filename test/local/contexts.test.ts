import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, collect, privateSocket, ZPS_BIN, zps } from '../helpers/zps.js';
import { unique } from '../helpers/wait.js';

/**
 * Contexts through the built CLI, each test with its own XDG_CONFIG_HOME. Where a context's
 * setting lands shows in `zps context show` and in the error naming an unreachable or invalid broker.
 */
const UNUSED_SOCKET = '/nonexistent/unused.sock';

/** A fresh config home; `run` runs zps with it (and without the machine's ZPS_ variables). */
function home(text?: string) {
  const config = mkdtempSync(join(tmpdir(), 'zps-contexts-'));
  const file = join(config, 'zps', 'config.toml');
  if (text !== undefined) {
    mkdirSync(join(config, 'zps'), { mode: 0o700 });
    writeFileSync(file, text, { mode: 0o600 });
  }
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => zps(UNUSED_SOCKET, args, { env: { XDG_CONFIG_HOME: config, ZPS_SOCKET: undefined, ...env } });
  const show = async (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const result = await run(['context', 'show', '--json', ...args], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { setting: string; value: string; from: string })
        .map(({ setting, value, from }) => [setting, [value, from]]),
    );
  };
  return { config, file, run, show };
}

describe('zps context add, use, list, show, remove', () => {
  it('saves contexts in a 0600 file of a 0700 directory, makes one current, lists, shows and removes them', async () => {
    const { file, run, show } = home();
    const add = await run([
      'context',
      'add',
      'prod',
      '-e',
      'production',
      '-b',
      'k1:9092,k2:9092',
      '--sasl-mechanism',
      'scram-sha-512',
      '--sasl-username',
      'app',
    ]);
    expect(add).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).toContain('[contexts.prod]\nenv = "production"\nbrokers = "k1:9092,k2:9092"\n');
    expect((await run(['context', 'add', 'dev', '-X', 'group.id=devs'])).code).toBe(0);
    expect((await run(['context', 'list'])).stdout).toBe('  prod\tproduction\n  dev\tlocal\n');

    expect(await run(['context', 'use', 'prod'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await run(['context', 'list'])).stdout).toBe('* prod\tproduction\n  dev\tlocal\n');
    expect((await run(['context', 'list', '--json'])).stdout).toBe(
      '{"name":"prod","current":true,"env":"production"}\n{"name":"dev","current":false,"env":"local"}\n',
    );
    expect(await show()).toMatchObject({
      env: ['production', 'env in context prod'],
      brokers: ['k1:9092,k2:9092', 'brokers in context prod'],
      'sasl-mechanism': ['scram-sha-512', 'sasl-mechanism in context prod'],
      'sasl-username': ['app', 'sasl-username in context prod'],
      timeout: ['10s', 'default'],
    });
    expect(await show(['dev'])).toMatchObject({ env: ['production', 'env in context prod'], group: ['devs', 'group.id in context dev'] });
    // TLS that security.protocol turns on is shown with it as its source
    expect(await show(['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.password=p'])).toMatchObject({ tls: ['true', 'security.protocol in -X'] });
    const table = (await run(['context', 'show'])).stdout;
    expect(table).toMatch(/^env {2,}production {2,}env in context prod\n/);

    expect(await run(['context', 'remove', 'prod'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await run(['context', 'list'])).stdout).toBe('  dev\tlocal\n');
    expect(readFileSync(file, 'utf8')).not.toMatch(/current =|\[contexts\.prod/);
  });

  it('add copies a --properties file and -X in (-X beats the file), and stores file paths as absolute ones', async () => {
    const { config, file, run, show } = home();
    writeFileSync(join(config, 'client.properties'), 'bootstrap.servers=from-file:1\nacks=all\ngroup.id=file-group\n');
    writeFileSync(join(config, 'ca.pem'), 'x');
    // relative paths, from the directory the command runs in
    const args = ['context', 'add', 'f', '-e', 'kafka', '-F', 'client.properties', '-X', 'group.id=x-group', '--tls-ca', 'ca.pem'];
    const add = await collect(
      spawn(process.execPath, [ZPS_BIN, ...args], { cwd: config, env: cleanEnv({ XDG_CONFIG_HOME: config }), stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(file, 'utf8')).toContain(`tls-ca = "${join(config, 'ca.pem')}"`);
    expect(await show(['f'])).toMatchObject({
      brokers: ['from-file:1', 'bootstrap.servers in context f'],
      group: ['x-group', 'group.id in context f'],
      'tls-ca': [join(config, 'ca.pem'), 'tls-ca in context f'],
    });
    expect((await run(['context', 'add', 'g', '-F', join(config, 'missing.properties')])).stderr).toMatch(
      /^zps: cannot read the properties file .*missing\.properties given by --properties: no such file\n$/,
    );
  });

  it('an unknown context is exit 2 with the closest name; adding over one is exit 1 unless --force', async () => {
    const { run } = home('[contexts.prod]\nenv = "production"\n');
    expect(await run(['context', 'use', 'prd'])).toMatchObject({
      code: 2,
      stderr: "zps: unknown context 'prd' (not in the contexts file): did you mean prod?\n",
    });
    expect(await run(['count', 't', '--context', 'prof'])).toMatchObject({ code: 2, stderr: "zps: unknown context 'prof' (--context): did you mean prod?\n" });
    expect(await run(['topics'], { ZPS_CONTEXT: 'staging' })).toMatchObject({ code: 2, stderr: "zps: unknown context 'staging' (ZPS_CONTEXT): use prod\n" });
    expect((await run(['context', 'remove', 'dev'])).code).toBe(2);
    expect(await run(['context', 'add', 'prod', '-b', 'x:1'])).toMatchObject({
      code: 1,
      stderr: 'zps: context prod exists: add --force to replace it, or zps context remove prod\n',
    });
    expect((await run(['context', 'add', 'prod', '-b', 'x:1', '--force'])).code).toBe(0);
    expect(await run(['context', 'add', 'bad', '-b', 'nohost'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^zps: invalid broker 'nohost' in --brokers/),
    });
    expect(await run(['context', 'add', 'bad', '-X', 'bootstrap.server=x:1'])).toMatchObject({
      code: 2,
      stderr: "zps: unknown client property 'bootstrap.server' in -X or --properties: did you mean bootstrap.servers?\n",
    });
  });

  it('a hand-edited file: a typo in a setting or the TOML is one line, exit 2', async () => {
    const typo = home('current = "prod"\n[contexts.prod]\nbrokerz = "k:1"\n');
    expect(await typo.run(['count', 't'])).toMatchObject({ code: 2, stderr: "zps: unknown setting 'brokerz' in context prod: did you mean brokers?\n" });
    const misnamed = home('curent = "prod"\n[contexts.prod]\nbrokers = "k:1"\n');
    expect(await misnamed.run(['count', 't'])).toMatchObject({ code: 2, stderr: `zps: unknown key 'curent' in ${misnamed.file}: did you mean current?\n` });
    const broken = home('[contexts.prod\nbrokers = "k:1"\n');
    const result = await broken.run(['count', 't']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^zps: cannot read the contexts file ${broken.file}: .+\\n$`));
  });

  it('a file or directory others can write is refused, saying how to fix it', async () => {
    const { file, run } = home('[contexts.prod]\nenv = "production"\n');
    chmodSync(file, 0o666);
    expect(await run(['count', 't'])).toMatchObject({ code: 2, stderr: `zps: the contexts file's file ${file} can be written by others: chmod 600 ${file}\n` });
    chmodSync(file, 0o600);
    const dir = join(file, '..');
    chmodSync(dir, 0o777);
    expect(await run(['context', 'list'])).toMatchObject({
      code: 2,
      stderr: `zps: the contexts file's directory ${dir} can be written by others: chmod 700 ${dir}\n`,
    });
    chmodSync(dir, 0o700);
    expect((await run(['context', 'list'])).code).toBe(0);
  });
});

describe('contexts: precedence', () => {
  it('flag, -X, --properties, --context, environment variable, ZPS_CONTEXT, the current context, the default: each beats the next', async () => {
    const { config, show, run } = home(
      [
        'current = "current"',
        '[contexts.named]\nbrokers = "named:1"\n[contexts.named.properties]\n"bootstrap.servers" = "named-property:1"',
        '[contexts.fallback]\nenv = "kafka"\nbrokers = "fallback:1"',
        '[contexts.current]\nenv = "kafka"\n[contexts.current.properties]\n"bootstrap.servers" = "current:1"',
      ].join('\n'),
    );
    const properties = join(config, 'client.properties');
    writeFileSync(properties, 'bootstrap.servers=file:1\n', { mode: 0o600 });
    const layers: [string, string[], NodeJS.ProcessEnv, string][] = [
      ['flag', ['-b', 'flag:1'], {}, '--brokers'],
      ['-X', ['-X', 'bootstrap.servers=x:1'], {}, 'bootstrap.servers in -X'],
      ['--properties', ['-F', properties], {}, `bootstrap.servers in ${properties}`],
      ['--context', ['--context', 'named'], {}, 'brokers in context named'],
      ['environment variable', [], { ZPS_BROKERS: 'env:1' }, 'ZPS_BROKERS'],
      ['ZPS_CONTEXT', [], { ZPS_CONTEXT: 'fallback' }, 'brokers in context fallback'],
    ];
    // every layer given, then the first taken away, and so on: the next one wins each time
    for (let i = 0; i < layers.length; i++) {
      const given = layers.slice(i);
      const args = given.flatMap(([, a]) => a);
      const env = Object.assign({}, ...given.map(([, , e]) => e));
      const [name, , , from] = layers[i]!;
      expect({ name, brokers: (await show(args, env)).brokers?.[1] }).toEqual({ name, brokers: from });
    }
    expect((await show()).brokers).toEqual(['current:1', 'bootstrap.servers in context current']);
    expect((await show(['-e', 'kafka'], { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'zps-contexts-')) })).brokers).toEqual(['localhost:9092', 'default']);
    // within a context, its setting beats its properties; commands resolve as show does
    expect(await run(['count', 't', '--context', 'named', '--timeout', '1s'])).toMatchObject({ code: 1, stderr: expect.stringContaining('named:1') });
    expect(await run(['count', 't', '-e', 'kafka', '-b', 'nohost'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("invalid broker 'nohost' in --brokers"),
    });
  });

  it('a context gives every setting, and show says so for each', async () => {
    const { config, show } = home('');
    const pem = join(config, 'any.pem');
    writeFileSync(pem, 'not checked until connecting\n');
    const values: Record<string, string> = {
      env: 'kafka',
      brokers: 'k1:9092',
      'schema-registry': 'http://registry:8081',
      group: 'billing',
      socket: join(config, 'zps.sock'),
      'sasl-mechanism': 'scram-sha-256',
      'sasl-username': 'app',
      tls: 'true',
      'tls-ca': pem,
      'tls-cert': pem,
      'tls-key': pem,
      timeout: '3s',
    };
    const toml = Object.entries(values).map(([key, value]) => `${key} = ${key === 'tls' ? value : JSON.stringify(value)}`);
    writeFileSync(
      join(config, 'zps', 'config.toml'),
      `[contexts.all]\n${toml.join('\n')}\nsasl-password = { env = "PW" }\ntls-key-password = { command = "exit 1" }\n`,
      { mode: 0o600 },
    );
    const shown = await show(['all']);
    for (const [setting, value] of Object.entries(values)) expect(shown[setting]).toEqual([value, `${setting} in context all`]);
    expect(shown['sasl-password']).toEqual(['{ env = "PW" }', 'sasl-password in context all (environment variable)']);
    expect(shown['tls-key-password']).toEqual(['{ command = "exit 1" }', 'tls-key-password in context all (command)']);
  });

  it('the environment: -e beats the context, which beats ZPS_ENV only when named by --context', async () => {
    const { show } = home('current = "prod"\n[contexts.prod]\nenv = "production"\n');
    expect((await show([], { ZPS_ENV: 'staging' })).env).toEqual(['staging', 'ZPS_ENV']);
    expect((await show(['--context', 'prod'], { ZPS_ENV: 'staging' })).env).toEqual(['production', 'env in context prod']);
    expect((await show(['-e', 'local', '--context', 'prod'])).env).toEqual(['local', '--env']);
    expect((await show()).env).toEqual(['production', 'env in context prod']);
  });
});

describe('contexts: secrets', () => {
  const secret = 'Sup3r-Secret-Pa55';

  it('a secret is stored as a reference unless asked; a stored one is shown as ****, a reference as itself; never printed, even with --verbose', async () => {
    const { file, run, show } = home();
    const refused = await run(['context', 'add', 'prod', '-X', `sasl.password=${secret}`]);
    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^zps: sasl\.password is a secret: keep it out of the contexts file with --sasl-password-env/),
    });
    expect(refused.stderr).not.toContain(secret);
    const withPassword = `http://reg:${secret}@127.0.0.1:1/`;
    const registryRefused = await run(['context', 'add', 'prod', '-e', 'kafka', '-r', withPassword]);
    expect(registryRefused).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^zps: the schema registry URL holds a password: .* or add --store-secrets/),
    });
    expect(registryRefused.stderr).not.toContain(secret);
    expect((await run(['context', 'add', 'registry', '-e', 'kafka', '-r', withPassword, '--store-secrets'])).code).toBe(0);
    expect((await show(['registry']))['schema-registry']).toEqual(['http://reg:****@127.0.0.1:1/', 'schema-registry in context registry']);
    const common = ['-e', 'kafka', '-b', '127.0.0.1:1', '--sasl-mechanism', 'plain', '--sasl-username', 'app'];
    expect((await run(['context', 'add', 'stored', ...common, '-X', `sasl.password=${secret}`, '--store-secrets'])).code).toBe(0);
    expect((await run(['context', 'add', 'byenv', ...common, '--sasl-password-env', 'PROD_KAFKA_PASSWORD'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('[contexts.byenv.sasl-password]\nenv = "PROD_KAFKA_PASSWORD"\n');

    expect((await show(['stored']))['sasl-password']).toEqual(['****', 'sasl.password in context stored']);
    expect((await show(['byenv'], { PROD_KAFKA_PASSWORD: secret }))['sasl-password']).toEqual([
      '{ env = "PROD_KAFKA_PASSWORD" }',
      'sasl-password in context byenv (environment variable)',
    ]);
    for (const [context, env] of [
      ['stored', {}],
      ['byenv', { PROD_KAFKA_PASSWORD: secret }],
    ] as const) {
      for (const args of [
        ['context', 'show', context, '--verbose'],
        ['count', 't', '--context', context, '--verbose', '--timeout', '1s'],
      ]) {
        const result = await run(args, env);
        expect(result.stdout + result.stderr).not.toContain(secret);
      }
    }
  });

  it('a reference is resolved only when its setting is used: an unset variable is exit 2, a failed command exit 1, each naming the context and the setting', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'zps-contexts-')), 'ran');
    const { run, show } = home(
      [
        '[contexts.byenv]\nenv = "kafka"\nbrokers = "127.0.0.1:1"\nsasl-mechanism = "plain"\nsasl-password = { env = "PROD_KAFKA_PASSWORD" }',
        `[contexts.bycommand]\nenv = "kafka"\nbrokers = "127.0.0.1:1"\nsasl-mechanism = "plain"\nsasl-password = { command = "touch ${marker}; printf ${secret}" }`,
        '[contexts.failing]\nenv = "kafka"\nsasl-mechanism = "plain"\nsasl-password = { command = "echo no such entry >&2; exit 3" }',
      ].join('\n'),
    );
    expect(await run(['count', 't', '--context', 'byenv'])).toMatchObject({
      code: 2,
      stderr: 'zps: sasl-password of context byenv: the environment variable PROD_KAFKA_PASSWORD is not set\n',
    });
    // unused when security.protocol turns SASL off: the connection is tried, and fails on its own
    expect(await run(['count', 't', '--context', 'byenv', '-X', 'security.protocol=PLAINTEXT', '--timeout', '1s'])).toMatchObject({
      code: 1,
      stderr: expect.not.stringContaining('PROD_KAFKA_PASSWORD'),
    });
    expect((await show(['bycommand']))['sasl-password']?.[0]).toBe(`{ command = "touch ${marker}; printf ${secret}" }`);
    expect(existsSync(marker)).toBe(false);
    const used = await run(['count', 't', '--context', 'bycommand', '--verbose', '--timeout', '1s']);
    expect(used.code).toBe(1);
    expect(existsSync(marker)).toBe(true);
    expect(used.stdout + used.stderr).not.toContain(secret);
    expect(await run(['count', 't', '--context', 'failing'])).toMatchObject({
      code: 1,
      stderr: 'zps: sasl-password of context failing: the command failed: no such entry\n',
    });
  });
});

describe('contexts: the library', () => {
  const { socket, cleanup } = privateSocket();
  afterAll(() => cleanup());
  const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

  it('createFactory({ context }) and the CLI share one configuration; its properties option beats the context', async () => {
    const { config, run } = home();
    expect((await run(['context', 'add', 'shared', '-e', 'local', '--socket', socket, '-g', 'readers'])).code).toBe(0);
    expect((await run(['context', 'add', 'kafka', '-e', 'kafka', '-b', 'k:1'])).code).toBe(0);
    const t = unique('ctx');
    const app = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createFactory } from ${JSON.stringify(index)};
        const factory = createFactory({ context: 'shared' });
        const publisher = await factory.getPublisherFactory().create(${JSON.stringify(t)}, 'made');
        await publisher.publish('k', { by: 'app' });
        await factory.close();
        for (const options of [{ context: 'kafka' }, { context: 'kafka', properties: { 'bootstrap.servers': 'nohost' } }, { context: 'kafk' }]) {
          try { createFactory(options); } catch (error) { console.log(error.message); }
        }`,
      ],
      { env: cleanEnv({ XDG_CONFIG_HOME: config }) },
    );
    const result = await collect(app);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      "invalid broker 'nohost' in bootstrap.servers in properties: use host:port, as localhost:9092\nunknown context 'kafk' (context): did you mean kafka?\n",
    );
    const consumed = await run(['consume', t, '--context', 'shared', '--json', '--timeout', '5s']);
    expect(consumed.code).toBe(0);
    expect(JSON.parse(consumed.stdout.split('\n')[0]!)).toMatchObject({ topic: t, key: 'k', value: { by: 'app' } });
  });
});

describe('contexts: completions', () => {
  it('bash completes the context command, its actions, --context and the context names', () => {
    const { config } = home('current = "prod"\n[contexts.prod]\nenv = "production"\n[contexts.prod.properties]\n"acks" = "all"\n[contexts.preview]\n');
    const script = `
      source completions/zps.bash
      COMP_WORDS=(zps cont); COMP_CWORD=1; _zps; echo "command: \${COMPREPLY[*]}"
      COMP_WORDS=(zps context u); COMP_CWORD=2; _zps; echo "action: \${COMPREPLY[*]}"
      COMP_WORDS=(zps context use p); COMP_CWORD=3; _zps; echo "names: \${COMPREPLY[*]}"
      COMP_WORDS=(zps count t --context pr); COMP_CWORD=4; _zps; echo "flag: \${COMPREPLY[*]}"
      COMP_WORDS=(zps context add x --sasl-password-); COMP_CWORD=4; _zps; echo "add: \${COMPREPLY[*]}"`;
    const bin = mkdtempSync(join(tmpdir(), 'zps-bin-'));
    symlinkSync(ZPS_BIN, join(bin, 'zps'));
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: cleanEnv({ XDG_CONFIG_HOME: config, PATH: `${bin}:${process.env.PATH}` }) });
    expect(result.stdout).toBe('command: context\naction: use\nnames: prod preview\nflag: prod preview\nadd: --sasl-password-env --sasl-password-command\n');
  });
});
