/**
 * A `.properties` file read as java.util.Properties reads it (the files Kafka's Java tools and
 * librdkafka take): `#` and `!` comment lines, `key=value`, `key: value` and `key value`, a line
 * ending in an odd number of backslashes continued on the next (its leading blanks dropped), and
 * the escapes `\t \n \r \f \uXXXX` (any other escaped character stands for itself). UTF-8, as
 * Properties.load(Reader) and librdkafka read it.
 */
import { usageError } from '../pubsub/errors.js';

const BLANK = /^[ \t\f]*/;

/** The name/value pairs of `text`, in file order (a repeated name: the last one wins); errors name `source` and the line. */
export function parseProperties(text: string, source: string): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    let line = lines[i]!.replace(BLANK, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (continues(line)) {
      line = line.slice(0, -1);
      if (i + 1 >= lines.length) break;
      line += lines[++i]!.replace(BLANK, '');
    }
    const [rawKey, rawValue] = splitPair(line);
    const where = `${source} line ${lineNumber}`;
    properties.set(unescapeJava(rawKey, where), unescapeJava(rawValue, where));
  }
  return properties;
}

/** A line ending in an odd number of backslashes goes on on the next line. */
function continues(line: string): boolean {
  let backslashes = 0;
  while (line[line.length - 1 - backslashes] === '\\') backslashes++;
  return backslashes % 2 === 1;
}

/** The key ends at the first unescaped `=`, `:` or blank; blanks and one `=` or `:` separate it from the value. */
function splitPair(line: string): [string, string] {
  let end = 0;
  while (end < line.length && !/[=: \t\f]/.test(line[end]!)) end += line[end] === '\\' ? 2 : 1;
  end = Math.min(end, line.length);
  let rest = line.slice(end).replace(BLANK, '');
  if (rest[0] === '=' || rest[0] === ':') rest = rest.slice(1).replace(BLANK, '');
  return [line.slice(0, end), rest];
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeJava(text: string, where: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) {
      out += c === '\\' ? '' : c;
      continue;
    }
    const next = text[++i]!;
    if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw usageError(`malformed \\uXXXX escape in ${where}`);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else out += ESCAPES[next] ?? next;
  }
  return out;
}
