import { StringDecoder } from 'node:string_decoder';

/** The messages of `zps publish`: its value arguments, or the non-empty lines of stdin. */

export interface InputItem {
  text: string;
  /** Where it came from, for error reports: "line 5", "argument 2". */
  label: string;
}

export function argumentItems(values: readonly string[]): InputItem[] {
  return values.map((text, i) => ({ text, label: `argument ${i + 1}` }));
}

/**
 * Splits a byte stream into lines without readline's per-line overhead; skips empty lines, strips
 * CR. Lines come in arrays (one per chunk read), so a million lines cost thousands of awaits.
 */
export async function* lineItems(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputItem[]> {
  let lineNumber = 0;
  let partial = '';
  const decoder = new StringDecoder('utf8'); // keeps a character split across chunks whole
  for await (const chunk of stream) {
    const text = partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const items: InputItem[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      lineNumber++;
      const line = text.charCodeAt(end - 1) === 13 && end > start ? text.slice(start, end - 1) : text.slice(start, end);
      start = end + 1;
      if (line.length > 0) items.push({ text: line, label: `line ${lineNumber}` });
    }
    partial = text.slice(start);
    if (items.length > 0) yield items;
  }
  partial += decoder.end();
  if (partial.length > 0) {
    lineNumber++;
    const line = partial.endsWith('\r') ? partial.slice(0, -1) : partial;
    if (line.length > 0) yield [{ text: line, label: `line ${lineNumber}` }];
  }
}
