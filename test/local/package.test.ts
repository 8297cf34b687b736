import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, privateSocket } from '../helpers/zps.js';

const work = mkdtempSync(join(tmpdir(), 'zps-pack-'));
const daemon = privateSocket();
afterAll(() => {
  daemon.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('gives a package that installs in an empty folder and runs, as command and as library', () => {
    execFileSync('npm', ['pack', '--pack-destination', work, '--ignore-scripts'], { stdio: 'ignore' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const project = join(work, 'project');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', join(work, tarball)], { cwd: project, stdio: 'ignore' });
    const env = cleanEnv({ ZPS_SOCKET: daemon.socket });
    const npx = (...args: string[]) => spawnSync('npx', ['--no-install', 'zps', ...args], { cwd: project, env, encoding: 'utf8' });
    expect(npx('publish', 'greetings', 'hello')).toMatchObject({ status: 0, stderr: '' });
    expect(npx('consume', 'greetings')).toMatchObject({ status: 0, stdout: 'hello\n' });
    expect(npx('completion', 'fish').stdout).toContain('complete -c zps');
    // bin/zps.js, the entry point of the documented layout, is the same command
    const installed = join(project, 'node_modules', 'zps', 'bin', 'zps.js');
    expect(spawnSync(process.execPath, [installed, 'consume', 'greetings'], { cwd: project, env, encoding: 'utf8' })).toMatchObject({
      status: 0,
      stdout: 'hello\n',
    });
    expect(spawnSync(process.execPath, [installed, '--version'], { encoding: 'utf8' }).stdout).toBe(`${npx('--version').stdout}`);
    const library = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { getMemoryBroker } from 'zps'; const b = getMemoryBroker(); console.log(await b.getMessageCount('greetings')); await b.close();`,
      ],
      { cwd: project, env, encoding: 'utf8' },
    );
    expect(library).toMatchObject({ status: 0, stdout: '1\n' });
  }, 120_000);
});
