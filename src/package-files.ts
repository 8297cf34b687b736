/**
 * Files shipped beside the code (package.json, completions/, the daemon's entry point), found from
 * the package root. This module sits one level below the root both as dist/package-files.js and
 * inside the CLI bundle (dist/zps*.cjs), so the same relative URL holds for both.
 */
let root: URL | undefined; // made on first use: the CLI's start need not make file URLs

export function packageFile(path: string): URL {
  root ??= new URL('../', import.meta.url);
  return new URL(path, root);
}
