import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, privateSocket } from '../helpers/zps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const version: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const work = mkdtempSync(join(tmpdir(), 'zps-pack-'));
const project = join(work, 'project');
const installed = join(project, 'node_modules', 'zps');
const daemon = privateSocket();
let packed: string[] = [];
let installWarnings = '';

// Packed without scripts: `prepack` would rebuild the dist/ that the other test files are running.
beforeAll(() => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  packed = pack.files.map((file: { path: string }) => file.path).sort();
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', type: 'module' }));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', join(work, pack.filename)], { cwd: project, encoding: 'utf8' });
  expect(install.status, install.stderr).toBe(0);
  installWarnings = install.stderr;
}, 120_000);

afterAll(() => {
  daemon.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** The CLI's bundle: dist/zps.cjs and the chunks it loads as commands need them, dist/zps-*.cjs, and the name of its build. */
function bundleFiles(): string[] {
  return readdirSync(join(root, 'dist'))
    .filter((name) => /^zps(-[\w-]+)?\.cjs$/.test(name) || name === 'cli-build')
    .map((name) => `dist/${name}`);
}

/** The compiled modules, with their types: the library's, the daemon's, and the CLI's the daemon runs commands with. */
function compiledModules(): string[] {
  return (readdirSync(join(root, 'dist'), { recursive: true }) as string[]).filter((path) => /\.(js|d\.ts)$/.test(path)).map((path) => `dist/${path}`);
}

/** The package files a shipped file loads: relative imports and requires, and package-root paths given to packageFile(). */
function filesLoadedBy(file: string): string[] {
  const text = readFileSync(join(installed, file), 'utf8');
  // the bundle's files load one another through zpsChunk (its relative import() strings are
  // commander's JSDoc types, not imports)
  const pattern = /^dist\/zps(-[\w-]+)?\.cjs$/.test(file)
    ? /\bzpsChunk\(\s*['"](\.\.?\/[^'"]+)['"]/g
    : /(?:\bfrom|\bimport\(|\brequire\()\s*['"](\.\.?\/[^'"]+)['"]/g;
  const relative = [...text.matchAll(pattern)];
  const loaded = relative.map((match) => posix.join(posix.dirname(file), match[1]!));
  for (const match of text.matchAll(/packageFile\(\s*['"]([^'"]+)['"]\s*\)/g)) loaded.push(match[1]!);
  return loaded.map((path) => (file.endsWith('.d.ts') ? path.replace(/\.js$/, '.d.ts') : path));
}

describe('npm pack', () => {
  it('ships the CLI bundle, the compiled modules with their types, completions, README and LICENSE, and nothing else', () => {
    const expected = [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/zps.cjs',
      'bin/run-in-daemon.cjs',
      ...bundleFiles(),
      ...readdirSync(join(root, 'completions')).map((name) => `completions/${name}`),
      ...compiledModules(),
    ].sort();
    expect(packed).toEqual(expected);
    expect(packed.filter((path) => path.endsWith('.map') || /test/.test(path))).toEqual([]);
  });

  it('ships every file its shipped code loads', () => {
    const missing = packed
      .filter((file) => /\.(c?js|d\.ts)$/.test(file))
      .flatMap((file) => filesLoadedBy(file).map((path) => ({ file, path })))
      .filter(({ path }) => !existsSync(join(installed, path)));
    expect(missing).toEqual([]);
    expect(filesLoadedBy('dist/daemon/connect.js')).toContain('dist/daemon-main.js');
    expect(filesLoadedBy('dist/zps.cjs')).toContain('dist/zps-local-driver.cjs');
  });

  it('installs in an empty folder without a warning about its own scripts', () => {
    expect(installWarnings).not.toContain('zps@');
    expect(installWarnings).not.toMatch(/prepare|prepack/);
  });

  it('runs as a command, starting its own daemon from the installed package, and as a library', () => {
    const env = cleanEnv({ ZPS_SOCKET: daemon.socket });
    const npx = (...args: string[]) => spawnSync('npx', ['--no-install', 'zps', ...args], { cwd: project, env, encoding: 'utf8' });
    expect(npx('--version')).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(npx('publish', 'greetings', 'hello')).toMatchObject({ status: 0, stderr: '' });
    expect(npx('consume', 'greetings')).toMatchObject({ status: 0, stdout: 'hello\n' });
    const { pid } = JSON.parse(npx('daemon', 'status', '--json').stdout);
    const daemonCommand = spawnSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).stdout;
    expect(daemonCommand).toContain(realpathSync(join(installed, 'dist', 'daemon-main.js')));
    expect(npx('completion', 'fish').stdout).toContain('complete -c zps');
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
  }, 60_000);

  it("gives TypeScript users the library's types through its exports", () => {
    const program = [
      "import { createFactory, type PubSubFactory } from 'zps';",
      "const factory: PubSubFactory = createFactory({ environment: 'local' });",
      '// @ts-expect-error: the options are an object (an error only if the types were found)',
      "createFactory('local');",
      'await factory.close();',
    ].join('\n');
    writeFileSync(join(project, 'check.ts'), program);
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        ...['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--skipLibCheck'],
        ...['--typeRoots', join(root, 'node_modules/@types'), '--types', 'node', 'check.ts'],
      ],
      { cwd: project, encoding: 'utf8' },
    );
    expect(tsc).toMatchObject({ status: 0, stdout: '' });
  }, 30_000);
});
