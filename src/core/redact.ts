/**
 * The one redaction of the codebase: the logger passes every field through `redact`, and every error path that
 * prints a message (the CLI's error report, connection errors) passes it through `redactText`. A credential is
 * masked whatever field it was put in: a password inside a URL or a `user:password@host` authority, a
 * `password=…` pair of a connection string, a value under a secret-looking key, an nsec key.
 */

const SECRET_KEY = /pass(word)?|passwd|secret|private_?key|nsec|token|credential|^sk$|^key$/i;
// scheme://user:password@ and a bare user:password@host (a DB_HOST copied from a connection URL)
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/\s]*@/gi;
const BARE_PASSWORD = /(^|[\s'"=(,])([^\s:/?#@'"=(,]+:)[^\s@/'"]+@(?=[^\s@])/g;
const PAIR = /\b(password|passwd|pwd|secret|token|sslpassword)(\s*[=:]\s*)(?:'[^']*'|"[^"]*"|[^\s&;,]+)/gi;
const NSEC = /\bnsec1[02-9ac-hj-np-z]{20,}\b/g;

/** Mask every credential inside a text. */
export function redactText(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1***@')
    .replace(BARE_PASSWORD, '$1$2***@')
    .replace(PAIR, '$1$2***')
    .replace(NSEC, 'nsec1***');
}

/** Mask secrets in a log value: values of secret-looking keys, and credentials inside every string. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== null) return '***';
  if (typeof value === 'string') return redactText(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, '', depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k, depth + 1)]));
}
