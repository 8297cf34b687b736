import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, collect, privateSocket, RunningZps, spawnZps, ZPS_BIN, zps } from '../helpers/zps.js';
import { unique } from '../helpers/wait.js';

let socket: string;
let cleanup: () => void;
beforeAll(() => ({ socket, cleanup } = privateSocket()));
afterAll(() => cleanup());

const run = (args: string[], input?: string) => zps(socket, args, { input });

describe('zps count', () => {
  it('prints the number for one topic, topic<TAB>count for several, 0 for a missing topic', async () => {
    const [a, b] = [unique('a'), unique('b')];
    await run(['publish', a, '1', '2', '3']);
    await run(['publish', b, 'x']);
    expect(await run(['count', a])).toMatchObject({ code: 0, stdout: '3\n', stderr: '' });
    expect((await run(['count', a, b, 'missing-topic'])).stdout).toBe(`${a}\t3\n${b}\t1\nmissing-topic\t0\n`);
    expect((await run(['count', a, b, '--json'])).stdout).toBe(`{"topic":"${a}","count":3}\n{"topic":"${b}","count":1}\n`);
  });

  it('--expect exits 0 when equal and 1 with a clear line when not', async () => {
    const t = unique('t');
    await run(['publish', t, 'a', 'b']);
    expect(await run(['count', t, '--expect', '2'])).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await run(['count', t, '--expect', '3'])).toMatchObject({
      code: 1,
      stdout: '2\n',
      stderr: `zps: expected 3 messages in ${t}, found 2\n`,
    });
  });

  it('--wait polls until the count is reached, and exits 3 when the wait runs out', async () => {
    const t = unique('t');
    const waiting = run(['count', t, '--expect', '2', '--wait', '10s']);
    await run(['publish', t, 'a']);
    await run(['publish', t, 'b']);
    expect(await waiting).toMatchObject({ code: 0, stdout: '2\n' });
    const late = await run(['count', t, '--expect', '5', '--wait', '200ms']);
    expect(late.code).toBe(3);
    expect(late.stderr).toBe(`zps: expected 5 messages in ${t}, found 2 (waited 200ms)\n`);
    // no daemon, and none to be started (ZPS_NO_AUTOSTART=1): waited for as a broker that does not answer
    const nowhere = join(mkdtempSync(join(tmpdir(), 'zps-none-')), 'broker.sock');
    expect(await zps(nowhere, ['count', t, '--expect', '0', '--wait', '300ms'], { env: { ZPS_NO_AUTOSTART: '1' } })).toMatchObject({
      code: 3,
      stderr: `zps: could not count ${t} within 300ms: no local daemon is running on ${nowhere}\n`,
    });
  });

  it('--group prints the lag instead; --json names it', async () => {
    const t = unique('t');
    const g = unique('g');
    await run(['publish', t, '1', '2', '3']);
    expect((await run(['count', t, '-g', g])).stdout).toBe('3\n');
    await run(['consume', t, '-g', g, '-n', '1']);
    expect((await run(['count', t, '-g', g, '--json'])).stdout).toBe(`{"topic":"${t}","group":"${g}","count":2,"lag":2}\n`);
    expect(await run(['count', t, '-g', g, '--expect', '0'])).toMatchObject({
      code: 1,
      stderr: `zps: expected 0 messages of lag for group ${g} in ${t}, found 2\n`,
    });
  });

  it('the lag of a topic that does not exist is 0, as its count', async () => {
    expect(await run(['count', unique('nosuch'), '-g', unique('g')])).toMatchObject({ code: 0, stdout: '0\n', stderr: '' });
  });
});

describe('zps topics and reset', () => {
  it('lists topics with counts, and partitions in --json', async () => {
    const isolated = privateSocket();
    try {
      await zps(isolated.socket, ['publish', 'beta', '--partitions', '2', 'x', 'y']);
      await zps(isolated.socket, ['publish', 'alpha', 'z']);
      expect((await zps(isolated.socket, ['topics'])).stdout).toBe('alpha\t1\nbeta\t2\n');
      expect((await zps(isolated.socket, ['topics', '--json'])).stdout).toBe(
        '{"topic":"alpha","count":1,"partitions":1}\n{"topic":"beta","count":2,"partitions":2}\n',
      );
    } finally {
      isolated.cleanup();
    }
  });

  it('reset of topics empties them as Kafka does (partitions and offsets stay); reset alone drops everything', async () => {
    const isolated = privateSocket();
    const z = (args: string[]) => zps(isolated.socket, args);
    try {
      await z(['publish', 'keep', 'k']);
      await z(['topics', 'create', 'drop', '-p', '4', '-c', 'retention.ms=3600000']);
      await z(['publish', 'drop', '-k', 'x', '1', '2']);
      await z(['consume', 'drop', '-g', 'g']);
      expect((await z(['count', 'drop', '-g', 'g'])).stdout).toBe('0\n');
      expect(await z(['reset', 'drop'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect((await z(['topics'])).stdout).toBe('drop\t0\nkeep\t1\n');
      // its partitions and settings stay, so a key lands where it did, at the next offset (as on Kafka)
      expect((await z(['publish', 'drop', '-k', 'x', 'new', '--json'])).stdout).toBe('{"topic":"drop","partition":2,"offset":2,"key":"x"}\n');
      expect((await z(['topics', 'describe', 'drop'])).stdout).toContain('retention.ms=3600000');
      expect((await z(['consume', 'drop', '-g', 'g'])).stdout).toBe('new\n');
      expect((await z(['reset'])).code).toBe(0);
      expect((await z(['topics'])).stdout).toBe('');
    } finally {
      isolated.cleanup();
    }
  });

  it('reset of a topic that does not exist is exit 1 and resets nothing', async () => {
    const t = unique('t');
    await run(['publish', t, 'a']);
    expect(await run(['reset', 'nosuch', '--yes'])).toMatchObject({ code: 1, stdout: '', stderr: 'zps: cannot reset: topic nosuch does not exist\n' });
    expect(await run(['reset', t, 'nosuch'])).toMatchObject({ code: 1, stderr: 'zps: cannot reset: topic nosuch does not exist\nnothing was reset\n' });
    expect((await run(['count', t])).stdout).toBe('1\n');
  });
});

describe('zps daemon status and stop', () => {
  it('create nothing when no daemon runs: status is exit 1, stop exit 0', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'zps-none-'));
    const missing = join(parent, 'nonexist-dir', 'x.sock');
    try {
      const status = await zps(missing, ['daemon', 'status']);
      expect(status).toMatchObject({ code: 1, stdout: '' });
      expect(status.stderr.split('\n')[0]).toBe(`zps: no zps daemon is running on ${missing}`);
      expect(await zps(missing, ['daemon', 'stop'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
      expect(await zps(missing, ['count', 't'], { env: { ZPS_NO_AUTOSTART: '1' } })).toMatchObject({ code: 1 });
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('bad usage', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown command', ['frobnicate'], /^zps: unknown command 'frobnicate'/],
    ['unknown flag', ['consume', 't', '--bogus'], /^zps: unknown option '--bogus'/],
    ['missing topic', ['publish'], /^zps: missing required argument 'topic'/],
    ['missing count topics', ['count'], /^zps: name a topic to count, or give --regex$/],
    ['missing consume topic', ['consume'], /^zps: name a topic to consume, or give --regex$/],
    ['invalid topic name', ['publish', 'bad/topic', 'x'], /^zps: invalid topic name 'bad\/topic': only letters/],
    ['reserved topic name', ['count', '..'], /^zps: invalid topic name '\.\.': '\.\.' is reserved/],
    ['too long topic name', ['consume', 'x'.repeat(250)], /longer than 249 characters/],
    ['invalid duration', ['count', 't', '--timeout', '5'], /^zps: invalid timeout '5': use a number with a unit/],
    ['invalid duration in env', ['count', 't'], /^zps: invalid timeout in ZPS_TIMEOUT 'soon'/],
    // a timer cannot hold 2^31 ms or more: it would fire at once
    ['timeout too long', ['consume', 't', '-n', '1', '--timeout', '600h'], /^zps: invalid timeout '600h': at most 2147483647ms \(about 596h\)$/],
    ['empty group', ['groups', 'describe', ''], /^zps: the group id is empty: name the consumer group$/],
    ['negative offset to reset to', ['groups', 'reset', 'g', '--topic', 't', '--to-offset', '-5'], /^zps: invalid offset '-5': use a whole number from 0$/],
    ['timeout of nothing', ['consume', 't', '-n', '1', '--timeout', '0s'], /^zps: invalid timeout '0s': use at least 1ms$/],
    ['invalid wait', ['count', 't', '--expect', '1', '--wait', 'forever'], /^zps: invalid --wait duration 'forever'/],
    ['wait too long', ['count', 't', '--expect', '1', '--wait', '2147483648ms'], /^zps: invalid --wait duration '2147483648ms': at most/],
    ['invalid expect', ['count', 't', '--expect', 'many'], /^zps: invalid expected count 'many'/],
    ['invalid offset', ['consume', 't', '-o', 'middle'], /^zps: invalid offset 'middle'/],
    ['invalid max messages', ['consume', 't', '-n', '0'], /^zps: invalid message count '0'/],
    ['invalid partition', ['publish', 't', '-p', '-1', 'x'], /^zps: (invalid partition '-1'|unknown option '-1')/],
    ['invalid partitions', ['publish', 't', '--partitions', '0', 'x'], /^zps: invalid partition count '0'/],
    ['invalid header', ['publish', 't', '-H', 'novalue', 'x'], /^zps: invalid header 'novalue'/],
    ['key and key delimiter', ['publish', 't', '-k', 'a', '-K', ':', 'x'], /^zps: use either --key or --key-delimiter/],
    ['format with json', ['consume', 't', '--json', '--format', '%s'], /^zps: use either --format or --json/],
    ['schema in local mode', ['publish', 't', '--schema', 's.avsc', 'x'], /^zps: --schema needs Kafka/],
    ['unknown shell', ['completion', 'tcsh'], /^zps: unknown shell 'tcsh'/],
    ['reset everything outside local', ['reset', '-e', 'production'], /^zps: name the topics to reset/],
    ['invalid sasl mechanism', ['topics', '--sasl-mechanism', 'kerberos'], /^zps: invalid SASL mechanism 'kerberos'/],
    ['invalid max-memory', ['daemon', 'start', '--max-memory', 'lots'], /^zps: invalid memory cap 'lots'/],
    ['retention of nothing', ['daemon', 'start', '--retention-bytes', '0'], /^zps: invalid retention size '0': use a size of at least 1 byte/],
    ['memory cap of nothing', ['daemon', 'start', '--max-memory', '0.1'], /^zps: invalid memory cap '0.1': use a size of at least 1 byte/],
    ['--timeout with --follow', ['consume', 't', '-f', '--timeout', '1s'], /^zps: --timeout does not go with --follow: a follow runs until Ctrl-C$/],
  ];
  it.each(cases)('%s exits 2 with a one-line error', async (name, args, pattern) => {
    const env = name === 'invalid duration in env' ? { ZPS_TIMEOUT: 'soon' } : {};
    const result = await zps(socket, args, { env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const errorLines = result.stderr.split('\n').filter(Boolean);
    expect(errorLines[0]).toMatch(pattern);
    expect(errorLines.length).toBeLessThanOrEqual(2); // the error, and at most a hint
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it('consume --help says -n waits without limit unless --timeout is given', async () => {
    const help = await zps(socket, ['consume', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('exit after n messages, waiting for them: without limit, unless --timeout is given');
    const t = unique('t');
    await zps(socket, ['publish', t, 'one']);
    // ZPS_TIMEOUT is --timeout's environment form: it bounds the wait too
    expect(await zps(socket, ['consume', t, '-n', '2'], { env: { ZPS_TIMEOUT: '300ms' } })).toMatchObject({ code: 3, stdout: 'one\n' });
  });

  it("a command's usage errors point to its help; another tool's word for a command gets a suggestion", async () => {
    expect(await zps(socket, ['consume', 't', '--bogus'])).toMatchObject({ code: 2, stderr: "zps: unknown option '--bogus'\nsee 'zps consume --help'\n" });
    expect((await zps(socket, ['daemon', 'status', '--bogus'])).stderr).toBe("zps: unknown option '--bogus'\nsee 'zps daemon status --help'\n");
    expect(await zps(socket, ['produce', 't', 'x'])).toMatchObject({
      code: 2,
      stderr: "zps: unknown command 'produce': did you mean publish?\nsee 'zps --help'\n",
    });
    expect((await zps(socket, ['consum', 't'])).stderr).toBe("zps: unknown command 'consum': did you mean consume?\nsee 'zps --help'\n");
    expect((await zps(socket, ['daemon', 'produce'])).stderr).toBe("zps: unknown command 'produce'\nsee 'zps daemon --help'\n");
  });

  it('no command prints the help on stderr, exit 2', async () => {
    for (const args of [[], ['-g', 'g'], ['daemon']]) {
      const none = await zps(socket, args);
      expect(none).toMatchObject({ code: 2, stdout: '' });
      expect(none.stderr).toMatch(/^Usage: zps /);
    }
  });

  it('-f with --timeout on the command line is refused; ZPS_TIMEOUT does not end a follow', async () => {
    const t = unique('t');
    await zps(socket, ['publish', t, 'one']);
    const refused = await zps(socket, ['consume', t, '-f', '--timeout', '1s']);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr.split('\n')[1]).toMatch(/-n <count>.*--until/);
    const following = new RunningZps(socket, ['consume', t, '-f'], { ZPS_TIMEOUT: '300ms' });
    await following.waitForLines(1);
    await zps(socket, ['publish', t, 'two']);
    expect(await following.waitForLines(2)).toEqual(['one', 'two']); // not refused: it follows
    following.child.kill('SIGINT');
    expect((await following.result).code).toBe(0);
  });

  it("a failure in a promise nothing awaited (a library's own) is one line and exit 1, not Node's stack", async () => {
    const preload = join(mkdtempSync(join(tmpdir(), 'zps-preload-')), 'reject.cjs');
    writeFileSync(preload, "setTimeout(() => Promise.reject(new Error('required parameter missing (id)')), 0);\n");
    for (const args of [
      ['publish', unique('t')],
      ['consume', unique('t'), '-f'],
    ]) {
      // both wait for something that never comes (stdin, messages): the failure ends them
      // run by this process, not handed to the daemon (whose own failures its log keeps)
      const child = spawnZps(socket, args, { NODE_OPTIONS: `--require ${preload}`, ZPS_NO_DAEMON_RUN: '1' });
      expect(await collect(child)).toMatchObject({ code: 1, stdout: '', stderr: 'zps: required parameter missing (id)\n' });
    }
  });

  it('an argument that is not UTF-8 is exit 2 naming its bytes, not stored with U+FFFD in their place; a U+FFFD given as such is text', async () => {
    const t = unique('t');
    // bash passes the bytes as they are (a spawn's arguments are JS strings, always UTF-8)
    const line = `"${process.execPath}" "${ZPS_BIN}" publish ${t} -k $'\\xfe\\xff' $'v\\xff'`;
    const refused = spawnSync('bash', ['-c', line], { env: cleanEnv({ ZPS_SOCKET: socket }), encoding: 'utf8' });
    expect(refused).toMatchObject({
      status: 2,
      stdout: '',
      stderr:
        'zps: argument 4 is not UTF-8 (its byte 1 is 0xfe): Node reads arguments as text, so its bytes cannot reach zps\n' +
        'give such bytes on stdin, which publish reads exactly as given (-K for keys, --from-json for headers)\n',
    });
    expect((await run(['count', t])).stdout).toBe('0\n');
    expect((await run(['publish', t, 'ok \uFFFD'])).code).toBe(0);
    expect((await run(['consume', t])).stdout).toBe('ok \uFFFD\n');
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await zps(socket, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: zps/);
    const version = await zps(socket, ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n` });
  });
});

describe('zps completion', () => {
  it.each(['bash', 'zsh', 'fish'])('prints completions/zps.%s exactly', async (shell) => {
    const result = await zps(socket, ['completion', shell]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(`completions/zps.${shell}`, 'utf8'));
  });

  it('the bash script parses and completes commands, flags and topic names', async () => {
    const t = unique('complete');
    await zps(socket, ['publish', t, 'x']);
    const script = `
      source completions/zps.bash
      COMP_WORDS=(zps co); COMP_CWORD=1; _zps; echo "commands: \${COMPREPLY[*]}"
      COMP_WORDS=(zps consume --fo); COMP_CWORD=2; _zps; echo "flags: \${COMPREPLY[*]}"
      COMP_WORDS=(zps consume ${t.slice(0, 10)}); COMP_CWORD=2; _zps; echo "topics: \${COMPREPLY[*]}"
      COMP_WORDS=(zps consume --gr); COMP_CWORD=2; _zps; echo "filters: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics d); COMP_CWORD=2; _zps; echo "actions: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics describe ${t.slice(0, 10)}); COMP_CWORD=3; _zps; echo "described: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics a); COMP_CWORD=2; _zps; echo "admin: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics delete x ${t.slice(0, 10)}); COMP_CWORD=4; _zps; echo "deleted: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics create x --if); COMP_CWORD=4; _zps; echo "if: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics --prop); COMP_CWORD=2; _zps; echo "properties: \${COMPREPLY[*]}"
      COMP_WORDS=(zps topics -F completions/zps.ba); COMP_CWORD=3; _zps; echo "file: \${COMPREPLY[*]}"
      COMP_WORDS=(zps publish t --key-s); COMP_CWORD=3; _zps; echo "key schema: \${COMPREPLY[*]}"
      COMP_WORDS=(zps schemas s --version l); COMP_CWORD=4; _zps; echo "schema version: \${COMPREPLY[*]}"
      COMP_WORDS=(zps groups re); COMP_CWORD=2; _zps; echo "group actions: \${COMPREPLY[*]}"
      COMP_WORDS=(zps groups reset g --to-e); COMP_CWORD=4; _zps; echo "reset flags: \${COMPREPLY[*]}"
      COMP_WORDS=(zps groups reset g --topic ${t.slice(0, 10)}); COMP_CWORD=5; _zps; echo "reset topics: \${COMPREPLY[*]}"
      COMP_WORDS=(zps cl); COMP_CWORD=1; _zps; echo "cluster: \${COMPREPLY[*]}"`;
    // as installed: a `zps` on the PATH
    const bin = mkdtempSync(join(tmpdir(), 'zps-bin-'));
    symlinkSync(ZPS_BIN, join(bin, 'zps'));
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, ZPS_SOCKET: socket, PATH: `${bin}:${process.env.PATH}` },
    });
    rmSync(bin, { recursive: true });
    expect(result.stdout).toContain('commands: consume count context completion');
    expect(result.stdout).toContain('flags: --follow --format');
    expect(result.stdout).toContain(`topics: ${t}`);
    expect(result.stdout).toContain('filters: --grep');
    expect(result.stdout).toContain('actions: describe');
    expect(result.stdout).toContain(`described: ${t}`);
    expect(result.stdout).toContain('admin: alter');
    expect(result.stdout).toContain(`deleted: ${t}`);
    expect(result.stdout).toContain('if: --if-not-exists --if-exists');
    expect(result.stdout).toContain('properties: --properties --property');
    expect(result.stdout).toContain('file: completions/zps.bash');
    expect(result.stdout).toContain('key schema: --key-schema\n');
    expect(result.stdout).toContain('schema version: latest\n');
    expect(result.stdout).toContain('group actions: reset');
    expect(result.stdout).toContain('reset flags: --to-earliest');
    expect(result.stdout).toContain(`reset topics: ${t}`);
    expect(result.stdout).toContain('cluster: cluster');
  });
});
