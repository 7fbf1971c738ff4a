/**
 * A JSON reader that keeps what Python's `json.loads` keeps: integers (exact, as bigint) apart from floats
 * (`52` vs `52.0` / `1e-7`), last duplicate key wins, and `NaN` / `Infinity` literals. Used so that metadata
 * ids computed here match the Python reference for any stored document.
 */

/** A parsed JSON value: ints and floats are told apart; objects are Maps (any key, insertion order). */
export type PyJson = null | boolean | string | PyInt | PyFloat | PyJson[] | Map<string, PyJson>;
/** A JSON integer, exact. */
export interface PyInt {
  readonly int: bigint;
}
/** A JSON float (may be non-finite). */
export interface PyFloat {
  readonly float: number;
}

/** Raised for text that is not JSON. */
export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters end the fast path
const SIMPLE_STRING = /"([^"\\\u0000-\u001f]*)"/y;

/** Parse JSON text the way Python's json.loads does. */
export function parsePyJson(text: string): PyJson {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  };
  const err = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${i}`);
  };
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const str = (): string => {
    SIMPLE_STRING.lastIndex = i;
    const m = SIMPLE_STRING.exec(text);
    if (m) {
      i = SIMPLE_STRING.lastIndex;
      return m[1] as string;
    }
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) err('control character in string');
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) err('unterminated string');
    i += 1;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return err('invalid string escape');
    }
  };
  const value = (depth: number): PyJson => {
    if (depth > 10_000) err('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i += 1;
      const obj = new Map<string, PyJson>();
      ws();
      if (text[i] === '}') {
        i += 1;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') err('expected a string key');
        const key = str();
        ws();
        if (text[i] !== ':') err("expected ':'");
        i += 1;
        obj.delete(key);
        obj.set(key, value(depth + 1));
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === '}') {
          i += 1;
          return obj;
        } else err("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i += 1;
      const arr: PyJson[] = [];
      ws();
      if (text[i] === ']') {
        i += 1;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === ']') {
          i += 1;
          return arr;
        } else err("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (literal('true')) return true;
    if (literal('false')) return false;
    if (literal('null')) return null;
    if (literal('NaN')) return { float: Number.NaN };
    if (literal('Infinity')) return { float: Number.POSITIVE_INFINITY };
    if (literal('-Infinity')) return { float: Number.NEGATIVE_INFINITY };
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return err('unexpected character');
    i = NUMBER.lastIndex;
    return m[1] !== undefined || m[2] !== undefined ? { float: Number(m[0]) } : { int: BigInt(m[0]) };
  };
  const result = value(0);
  ws();
  if (i !== text.length) err('extra data');
  return result;
}
