/**
 * Whether `text` is exactly one JSON value — what JSON.parse accepts — checked without building
 * it: `zps publish` asks this of every input line, and JSON.parse's allocations were a quarter of
 * its CPU. Iterative (an explicit stack), so deep nesting cannot overflow the call stack.
 */
export function isJsonText(text: string): boolean {
  const n = text.length;
  let i = 0;
  const stack: number[] = []; // ARRAY or OBJECT per open container

  const skipSpace = () => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  };
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i++);
      if (c === 0x22) return true;
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text.charCodeAt(i++);
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) if (!isHex(text.charCodeAt(i++))) return false;
        } else if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
          return false;
        }
      }
    }
    return false;
  };

  const number = (): boolean => {
    if (text.charCodeAt(i) === 0x2d) i++;
    const first = text.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(text.charCodeAt(++i)));
    else return false;
    if (text.charCodeAt(i) === 0x2e) {
      if (!isDigit(text.charCodeAt(++i))) return false;
      while (isDigit(text.charCodeAt(++i)));
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      const sign = text.charCodeAt(++i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) return false;
      while (isDigit(text.charCodeAt(++i)));
    }
    return true;
  };

  /** A member's key and colon, leaving i at its value. */
  const key = (): boolean => {
    if (text.charCodeAt(i) !== 0x22 || !string()) return false;
    skipSpace();
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    skipSpace();
    return true;
  };

  skipSpace();
  for (;;) {
    // a value starts at i
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) !== (c === 0x7b ? 0x7d : 0x5d)) {
        stack.push(c === 0x7b ? OBJECT : ARRAY);
        if (c === 0x7b && !key()) return false;
        continue;
      }
      i++; // empty container
    } else if (c === 0x22) {
      if (!string()) return false;
    } else if (c === 0x2d || isDigit(c)) {
      if (!number()) return false;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      return false;
    }
    // after a value: close containers, or move on to the next element
    for (;;) {
      skipSpace();
      if (stack.length === 0) return i === n;
      const open = stack[stack.length - 1];
      const next = text.charCodeAt(i);
      if (next === 0x2c) {
        i++;
        skipSpace();
        if (open === OBJECT && !key()) return false;
        break;
      }
      if (next !== (open === OBJECT ? 0x7d : 0x5d)) return false;
      i++;
      stack.pop();
    }
  }
}

const ARRAY = 1;
const OBJECT = 2;
