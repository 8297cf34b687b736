/**
 * Node decodes a process's arguments as UTF-8 and puts U+FFFD for bytes that are not, so such an
 * argument's bytes are gone before zps sees them (a value, key or header would be stored with
 * U+FFFD in their place). Linux keeps them in /proc/self/cmdline, where they are told apart from a
 * U+FFFD given as such.
 */
import { readFileSync } from 'node:fs';

/**
 * The first argument after the script (1-based) that is not UTF-8, and the first of its bytes that
 * is not (1-based, with its value: the argument may be a secret, so no more of it is told);
 * undefined when none is, or it cannot be told.
 */
export function argumentNotUtf8(argv: readonly string[]): { position: number; at: number; byte: number } | undefined {
  if (!argv.some((arg) => arg.includes('\uFFFD'))) return undefined;
  let cmdline: Buffer;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    return undefined; // not Linux: the bytes cannot be told
  }
  const raw: Buffer[] = [];
  for (let start = 0; start < cmdline.length; ) {
    const end = cmdline.indexOf(0, start);
    raw.push(cmdline.subarray(start, end < 0 ? cmdline.length : end));
    start = end < 0 ? cmdline.length : end + 1;
  }
  // Node's own flags come before the script: the arguments are the last ones
  const args = raw.slice(raw.length - (argv.length - 2));
  for (const [index, bytes] of args.entries()) {
    const at = firstNotUtf8(bytes);
    if (at >= 0) return { position: index + 1, at: at + 1, byte: bytes[at]! };
  }
  return undefined;
}

/** The index of the first byte that does not belong to well-formed UTF-8 there, or -1. */
function firstNotUtf8(bytes: Buffer): number {
  // a valid prefix decodes to itself: the first byte where re-encoding the decoded text differs
  const decoded = Buffer.from(bytes.toString('utf8'), 'utf8');
  if (decoded.equals(bytes)) return -1;
  let at = 0;
  while (at < bytes.length && bytes[at] === decoded[at]) at++;
  return at;
}
