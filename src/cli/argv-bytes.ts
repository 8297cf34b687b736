/**
 * Node decodes a process's arguments as UTF-8 and puts U+FFFD for bytes that are not, so such an
 * argument's bytes are gone before zps sees them (a value, key or header would be stored with
 * U+FFFD in their place). Linux keeps them in /proc/self/cmdline, where they are told apart from a
 * U+FFFD given as such.
 */
import { readFileSync } from 'node:fs';

/** The first argument after the script (1-based) that is not UTF-8, with its bytes; undefined when none is, or it cannot be told. */
export function argumentNotUtf8(argv: readonly string[]): { position: number; bytes: Buffer } | undefined {
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
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const [index, bytes] of args.entries()) {
    try {
      decoder.decode(bytes);
    } catch {
      return { position: index + 1, bytes };
    }
  }
  return undefined;
}

/** Bytes as text a person can read: printable ASCII as it is, others as \xNN. */
export function escapedBytes(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return text;
}
