import { describe, expect, it } from 'vitest';
import { isJsonText } from '../../src/pubsub/json-text.js';

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('isJsonText agrees with JSON.parse', () => {
  it.each([
    '{}', '[]', '""', '0', '-0', '1.5e+10', '-12.0E-3', 'true', 'false', 'null', ' {"a" : [1, {"b": null}] } ',
    '"\\u00e9\\n\\"\\\\\\/"', '[[[[]]]]', '{"a":{"b":{"c":[1,2,3]}}}', '\t\r\n1\n',
    '', ' ', '{', '}', '[1,]', '{"a":1,}', '{"a"}', '{a:1}', "'x'", '01', '1.', '.5', '-', '1e', '+1', 'tru', 'truex', 'nul',
    '"\\x"', '"\\u12g4"', '"a\nb"', '"unterminated', '[1 2]', '{"a":1 "b":2}', '1 2', 'NaN', 'Infinity', '\ufeff1', '[,1]', '{,}',
    '{"a":1}}', '[1]]', '"\u007f"', '"\ud800"',
  ])('%j', (text) => {
    expect(isJsonText(text)).toBe(parses(text));
  });

  it('on 100,000 random mutations of JSON documents', () => {
    const pieces = ['{', '}', '[', ']', ',', ':', '"', '\\', 'a', '1', '0', '-', '.', 'e', '+', ' ', '\n', 'true', 'null', 'false', '\\u00', 'f', '"k"', '2'];
    const seeds = ['{"id":1,"user":"u-1","ok":true}', '[1,2.5,-3e2,"x",null,{"a":[]}]', '"plain \\" string"', '{"nested":{"deep":[[1],[2,{"x":"y"}]]}}'];
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    let disagreements = 0;
    for (let round = 0; round < 100_000; round++) {
      let text = seeds[random(seeds.length)]!;
      for (let edits = random(4); edits >= 0; edits--) {
        const at = random(text.length + 1);
        const kind = random(3);
        if (kind === 0) text = text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at);
        else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1 + random(3));
        else text = text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at + 1);
      }
      if (isJsonText(text) !== parses(text)) disagreements++;
    }
    expect(disagreements).toBe(0);
  });

  it('handles deep nesting without overflowing the stack', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(isJsonText(deep)).toBe(true);
    expect(isJsonText(deep + ']')).toBe(false);
  });
});
