/**
 * Canonical JSON of metadata documents, byte-identical to the Python reference so that
 * content-addressed ids match across implementations.
 */
import { createHash } from 'node:crypto';
import { type PyJson, parsePyJson } from './py-json.js';

/** Raised for a document that cannot be made canonical (a null character in a string or key). */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

/** Options for canonicalising JS values: numbers under these keys are always written as floats. */
export interface CanonicalOpts {
  readonly floatKeys?: ReadonlySet<string>;
}

/** Nesting deeper than this is dropped, as the reference does. */
export const MAX_DEPTH = 50;

/** Canonical JSON of JSON text, reading numbers as Python's json.loads does. */
export function canonicalMetadataJson(jsonText: string): string {
  return writeCanonical(fromPy(parsePyJson(jsonText)));
}

/** Hex SHA-256 of the canonical JSON of JSON text: the reference's metadata id. */
export function metadataId(jsonText: string): string {
  return sha256Hex(canonicalMetadataJson(jsonText));
}

/** Canonical JSON of a JS value built by our code; `floatKeys` say which numbers are floats by definition. */
export function canonicalJson(value: unknown, opts: CanonicalOpts = {}): string {
  return writeCanonical(fromJs(value, opts.floatKeys, false));
}

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The canonical tree: numbers already rendered, objects as key/value pairs. */
type Node = string | number | boolean | { num: string } | Node[] | ([string, Node][] & { obj: true });
type Obj = [string, Node][] & { obj: true };

function object(entries: [string, Node][]): Obj {
  return Object.assign(entries, { obj: true as const });
}

function fromPy(v: PyJson): Node | undefined {
  if (v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(fromPy).filter((x) => x !== undefined) as Node[];
  if (v instanceof Map) {
    const entries: [string, Node][] = [];
    for (const [k, x] of v) {
      const n = fromPy(x);
      if (n !== undefined) entries.push([k, n]);
    }
    return object(entries);
  }
  if ('int' in v) return { num: v.int.toString() };
  return Number.isFinite(v.float) ? { num: pyFloatRepr(v.float) } : undefined;
}

function fromJs(v: unknown, floatKeys: ReadonlySet<string> | undefined, isFloat: boolean): Node | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return { num: v.toString() };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    if (isFloat || !Number.isInteger(v)) return { num: pyFloatRepr(v) };
    // Integral numbers are ints; String() would write 1e21 and up in exponent form, which reads back as a float.
    return { num: Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString() };
  }
  if (Array.isArray(v)) {
    return v.map((x) => fromJs(x, floatKeys, isFloat)).filter((x) => x !== undefined) as Node[];
  }
  if (typeof v === 'object') {
    const entries: [string, Node][] = [];
    for (const [k, x] of Object.entries(v)) {
      const n = fromJs(x, floatKeys, floatKeys?.has(k) ?? false);
      if (n !== undefined) entries.push([k, n]);
    }
    return object(entries);
  }
  return undefined;
}

/** Python's repr(float): shortest round-trip digits, fixed for 1e-4 <= |x| < 1e16, else d.ddde±XX. */
export function pyFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp >= -4 && exp < 16) {
    if (exp < 0) body = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length <= exp + 1) body = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
    else body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    body = `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return neg ? `-${body}` : body;
}

/** Drop empties (after recursion) and over-deep values, sort keys by code point, and write the text. */
function writeCanonical(root: Node | undefined): string {
  if (root === undefined) return '{}';
  const out = write(root, 0);
  return out ?? (Array.isArray(root) && !('obj' in root) ? '[]' : '{}');
}

function write(n: Node, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (typeof n === 'string') return quote(n);
  if (typeof n === 'boolean') return n ? 'true' : 'false';
  if (typeof n === 'number') return String(n);
  if (!Array.isArray(n)) return n.num;
  if ('obj' in n) {
    const parts: string[] = [];
    const sorted = [...(n as Obj)].sort((a, b) => compareCodePoints(a[0], b[0]));
    for (const [k, v] of sorted) {
      const text = write(v, depth + 1);
      if (text !== undefined) parts.push(`${quote(k)}:${text}`);
    }
    return parts.length ? `{${parts.join(',')}}` : undefined;
  }
  const parts = n.map((v) => write(v, depth + 1)).filter((x) => x !== undefined);
  return parts.length ? `[${parts.join(',')}]` : undefined;
}

/** Order strings by Unicode code point (not UTF-16 code unit), as Python sorts str. */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) encode code points above FFFF: they sort after E000–FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what gets escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A JSON string as Python's json.dumps(ensure_ascii=False) writes it; a null character is an error. */
function quote(s: string): string {
  if (s.includes('\0')) throw new CanonicalJsonError('null character in a metadata string or key');
  return `"${s.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
