// The floor of a one-shot command that the local daemon runs, for the local start rows: the fewest
// steps any Node client of the daemon takes (net, one connection to its socket, the request, the
// command's output printed as it comes), nothing else loaded, none of bin/run-in-daemon.cjs's care
// (no socket path checks, signals, backpressure, withdrawal or declined commands).
// Usage: node bench/daemon-run-floor.cjs <socket> <zps arguments...>   (prints what the command prints)
const [socketPath, ...args] = process.argv.slice(2);
const fs = require('node:fs');
const build = fs.readFileSync(`${__dirname}/../dist/cli-build`, 'utf8').trim();
const stdio = { tty: false, columns: 0 };
const socket = require('node:net').connect(socketPath);
socket.on('connect', () => socket.write(`ZPS-RUN 1\n${JSON.stringify({ build, args, env: process.env, stdout: stdio, stderr: stdio })}\n`));

// frames: a kind byte, a 4-byte length, the payload; stdout 'o', stderr 'e', exit 'x' (its code)
let pending = Buffer.alloc(0);
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
    const kind = String.fromCharCode(pending[0]);
    const payload = pending.subarray(5, 5 + pending.readUInt32BE(1));
    pending = pending.subarray(5 + payload.length);
    if (kind === 'o' || kind === 'e') fs.writeSync(kind === 'o' ? 1 : 2, payload);
    if (kind === 'x') process.exit(Number(payload.toString()));
    if (kind === 'd') throw new Error('the daemon declined the command');
  }
});
