import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts/check-prerequisites.mjs');

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A one-directory PATH with every command of this PATH but `left` (the first of each name, as the shell finds it). */
function pathWithout(left: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zps-path-'));
  made.push(dir);
  for (const from of (process.env.PATH ?? '').split(delimiter)) {
    if (!from || !existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (name === left || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}

const check = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [script], { env, encoding: 'utf8' });

describe('npm test checks its prerequisites first', () => {
  it('says in one line which tool is missing and how to get it, exit 1; silent when all are there', () => {
    const withoutKcat = check({ ...process.env, PATH: pathWithout('kcat') });
    expect(withoutKcat.status).toBe(1);
    expect(withoutKcat.stderr).toBe('npm test needs kcat: not found; apt-get install kcat\n');
    const withoutMaven = check({ ...process.env, PATH: pathWithout('mvn') });
    expect(withoutMaven).toMatchObject({ status: 1, stderr: 'npm test needs Maven (mvn): not found; apt-get install maven\n' });
    expect(check(process.env)).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('is the first step of npm test, before lint', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
    expect(scripts.test).toMatch(/^node scripts\/check-prerequisites\.mjs && npm run lint && /);
  });
});
