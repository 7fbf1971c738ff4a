/**
 * HTTP plumbing of the API: the Hono environment, JSON errors, the request deadline, and reading a request's
 * path segments and query parameters strictly (repeats and malformed encodings are client errors).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type QueryError, type QueryResult, queryFail } from '../../core/tables/query.js';

/** Per-request values the API middleware sets. */
export interface ApiVariables {
  /** Aborted when the request's deadline passes or the client goes away. */
  signal: AbortSignal;
  /** Epoch milliseconds by which the answer must be sent. */
  deadline: number;
  /** The rows the handler served, charged by the rate limit once the answer is made (rate-limit.ts). */
  served_rows?: number;
}

/** The Hono environment of the API app. */
export interface ApiEnv {
  Variables: ApiVariables;
}

/** The API's Hono app (what `extra.mount` receives). */
export type ApiHono = Hono<ApiEnv>;

/** A JSON error body: `{"error": {code, message}}`. */
export function jsonError(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

/** Answer with a query error. */
export function sendQueryError(c: Context, e: QueryError): Response {
  return jsonError(c, e.status, e.code, e.message);
}

/** The request's cancellation signal (set by the deadline middleware; the raw request's otherwise). */
export function requestSignal(c: Context): AbortSignal {
  return (c.get('signal') as AbortSignal | undefined) ?? c.req.raw.signal;
}

/** Milliseconds left before the request's deadline (at least 1). */
export function remainingMs(c: Context, fallbackMs: number): number {
  const deadline = c.get('deadline') as number | undefined;
  return Math.max(1, deadline === undefined ? fallbackMs : deadline - Date.now());
}

/** A request deadline: aborts the request's signal after `ms` and answers 504 if the handler is still busy. */
export function deadline(ms: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const timer = new AbortController();
    const t = setTimeout(() => timer.abort(new DeadlineError()), ms);
    c.set('signal', AbortSignal.any([timer.signal, c.req.raw.signal]));
    c.set('deadline', Date.now() + ms);
    const expired = new Promise<void>((resolve) => timer.signal.addEventListener('abort', () => resolve()));
    try {
      await Promise.race([next(), expired]);
      if (timer.signal.aborted && !c.finalized) {
        c.res = jsonError(c, 504, 'timeout', `no answer within ${ms / 1000} s`);
      }
    } finally {
      clearTimeout(t);
    }
  };
}

/** The request took longer than its deadline. */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
}

/**
 * The path segments after the route's `base` (as many segments as `base` has), percent-decoded one by one so
 * an encoded `/` (`%2F`) stays inside its segment.
 */
export function pathSegments(url: string, base: string): QueryResult<string[]> {
  const skip = base.split('/').filter(Boolean).length;
  const raw = new URL(url).pathname.split('/').slice(1 + skip);
  if (raw.at(-1) === '') raw.pop();
  const out: string[] = [];
  for (const seg of raw) {
    try {
      out.push(decodeURIComponent(seg));
    } catch {
      return queryFail(400, 'invalid_path', 'the path is not valid percent-encoding');
    }
  }
  return { ok: true, value: out };
}

/** The query parameters, each given at most once; `reserved` names are returned apart from the rest. */
export function strictQuery(
  url: string,
  reserved: readonly string[],
): QueryResult<{ named: Record<string, string>; rest: [string, string][] }> {
  const named: Record<string, string> = {};
  const rest: [string, string][] = [];
  const seen = new Set<string>();
  for (const [key, value] of new URL(url).searchParams) {
    if (seen.has(key))
      return queryFail(400, 'repeated_parameter', `query parameter "${key.slice(0, 64)}" given more than once`);
    seen.add(key);
    if (reserved.includes(key)) named[key] = value;
    else rest.push([key, value]);
  }
  return { ok: true, value: { named, rest } };
}
