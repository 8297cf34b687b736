import { describe, expect, it } from 'vitest';
import { compactJson, copyUnlessWhitespace, isJsonValue } from '../../src/wire/json-text.js';

const isJsonText = (text: string) => isJsonValue(Buffer.from(text));

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe('isJsonValue agrees with JSON.parse', () => {
  it.each([
    '{}',
    '[]',
    '""',
    '0',
    '-0',
    '1.5e+10',
    '-12.0E-3',
    'true',
    'false',
    'null',
    ' {"a" : [1, {"b": null}] } ',
    '"\\u00e9\\n\\"\\\\\\/"',
    '[[[[]]]]',
    '{"a":{"b":{"c":[1,2,3]}}}',
    '\t\r\n1\n',
    '',
    ' ',
    '{',
    '}',
    '[1,]',
    '{"a":1,}',
    '{"a"}',
    '{a:1}',
    "'x'",
    '01',
    '1.',
    '.5',
    '-',
    '1e',
    '+1',
    'tru',
    'truex',
    'nul',
    '"\\x"',
    '"\\u12g4"',
    '"a\nb"',
    '"unterminated',
    '[1 2]',
    '{"a":1 "b":2}',
    '1 2',
    'NaN',
    'Infinity',
    '\ufeff1',
    '[,1]',
    '{,}',
    '{"a":1}}',
    '[1]]',
    '"\u007f"',
    '"\ud800"',
  ])('%j', (text) => {
    expect(isJsonText(text)).toBe(parses(text));
  });

  it('on 100,000 random mutations of JSON documents', () => {
    const pieces = ['{', '}', '[', ']', ',', ':', '"', '\\', 'a', '1', '0', '-', '.', 'e', '+', ' ', '\n', 'true', 'null', 'false', '\\u00', 'f', '"k"', '2'];
    const seeds = ['{"id":1,"user":"u-1","ok":true}', '[1,2.5,-3e2,"x",null,{"a":[]}]', '"plain \\" string"', '{"nested":{"deep":[[1],[2,{"x":"y"}]]}}'];
    let seed = 42;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
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
    expect(isJsonText(`${deep}]`)).toBe(false);
  });

  it('refuses bytes that are not well-formed UTF-8, which decoding would have replaced', () => {
    const quoted = (...bytes: number[]) => Buffer.from([0x22, ...bytes, 0x22]);
    expect(isJsonValue(quoted(0xc3, 0xa9))).toBe(true); // é
    expect(isJsonValue(quoted(0xe2, 0x82, 0xac))).toBe(true); // €
    expect(isJsonValue(quoted(0xf0, 0x9f, 0x98, 0x80))).toBe(true); // an emoji
    expect(isJsonValue(quoted(0xff))).toBe(false);
    expect(isJsonValue(quoted(0x80))).toBe(false); // a lone continuation byte
    expect(isJsonValue(quoted(0xc0, 0xaf))).toBe(false); // overlong
    expect(isJsonValue(quoted(0xe0, 0x80, 0xaf))).toBe(false); // overlong
    expect(isJsonValue(quoted(0xed, 0xa0, 0x80))).toBe(false); // a surrogate
    expect(isJsonValue(quoted(0xf4, 0x90, 0x80, 0x80))).toBe(false); // past U+10FFFF
    expect(isJsonValue(quoted(0xe2, 0x82))).toBe(false); // truncated by the closing quote
    expect(isJsonValue(Buffer.from([0x31, 0xc3, 0xa9]))).toBe(false); // non-ASCII outside a string
  });

  it('reads only the range it is given', () => {
    const line = Buffer.from('[1]\n"abc"\n12345');
    expect(isJsonValue(line, 0, 3)).toBe(true);
    expect(isJsonValue(line, 4, 9)).toBe(true);
    expect(isJsonValue(line, 4, 8)).toBe(false);
    expect(isJsonValue(line, 10, 12)).toBe(true);
    expect(isJsonValue(Buffer.from('tru'), 0, 3)).toBe(false);
    expect(isJsonValue(Buffer.from('"\\u12"'), 0, 6)).toBe(false);
  });
});

describe('compactJson puts JSON on one line from its bytes', () => {
  const compact = (text: string) => Buffer.from(compactJson(Buffer.from(text))).toString();

  it('removes whitespace outside strings only, and changes no other byte', () => {
    expect(compact(' { "a" : [ 1 ,\n 2 ] ,\t"b c" : "d  e\\" f" } ')).toBe('{"a":[1,2],"b c":"d  e\\" f"}');
    expect(compact('12345678901234567890')).toBe('12345678901234567890');
    expect(compact('{"n": 12345678901234567890, "f": 1.000000000000000000001}')).toBe('{"n":12345678901234567890,"f":1.000000000000000000001}');
    expect(compact('"\\\\" ')).toBe('"\\\\"');
  });

  it('returns the very bytes when there is nothing to remove', () => {
    const bytes = Buffer.from('{"a":[1,2]}');
    expect(compactJson(bytes)).toBe(bytes);
  });

  it('agrees with JSON.parse on random documents, leaving no whitespace outside strings', () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const space = () => [' ', '\n', '\t', '\r', ''][random(5)]!;
    const value = (depth: number): string => {
      const kind = random(depth > 3 ? 3 : 5);
      if (kind === 0) return `${random(2) ? '-' : ''}${random(1e9)}${random(2) ? `.${random(1000)}` : ''}`;
      if (kind === 1) return JSON.stringify(['a b', 'x\\"y', '\u00e9  ', ' '][random(4)]);
      if (kind === 2) return ['true', 'false', 'null'][random(3)]!;
      if (kind === 3) return `[${space()}${Array.from({ length: random(4) }, () => value(depth + 1)).join(`${space()},${space()}`)}${space()}]`;
      return `{${space()}${Array.from({ length: random(4) }, (_, i) => `"k ${i}"${space()}:${space()}${value(depth + 1)}`).join(`,${space()}`)}${space()}}`;
    };
    for (let round = 0; round < 5_000; round++) {
      const text = `${space()}${value(0)}${space()}`;
      const compacted = compact(text);
      expect(JSON.parse(compacted)).toEqual(JSON.parse(text));
      expect(/[ \t\n\r]/.test(compacted.replace(/"(?:[^"\\]|\\.)*"/g, '""'))).toBe(false); // none outside strings
    }
  });
});

describe('copyUnlessWhitespace copies bytes while they hold no whitespace', () => {
  it('copies bytes without whitespace at the place given, and says how many', () => {
    const target = Buffer.alloc(16, 0x2e);
    expect(copyUnlessWhitespace(Buffer.from('x{"a":1}y'), 1, 8, target, 3)).toBe(7);
    expect(target.toString()).toBe('...{"a":1}......');
    expect(copyUnlessWhitespace(Buffer.alloc(0), 0, 0, target, 0)).toBe(0);
  });

  it('answers -1 at the first space, tab or line break, wherever it is', () => {
    for (const space of [' ', '\t', '\n', '\r']) {
      for (const text of [`${space}ab`, `a${space}b`, `ab${space}`]) expect(copyUnlessWhitespace(Buffer.from(text), 0, 3, Buffer.alloc(8), 0)).toBe(-1);
    }
    expect(copyUnlessWhitespace(Buffer.from(' ab '), 1, 3, Buffer.alloc(8), 0)).toBe(2); // only [start, end) is looked at
  });
});
