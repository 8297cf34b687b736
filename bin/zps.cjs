#!/usr/bin/env node
// CommonJS on purpose: Node starts a CommonJS entry without its ES module loader, which with the
// CLI bundled into one file (scripts/bundle-cli.mjs) keeps `zps count` close to `node -e 0`.
const argv = process.argv;
if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
  // Scripts ask for the version in loops: answer it without loading the CLI.
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  require('../dist/zps.cjs');
}
