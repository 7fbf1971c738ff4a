/** The outcome of an operation whose failure is an expected, reportable fact rather than a bug. */
export type Result<T, R extends string = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: R; readonly detail?: string };

/** Build a successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Build a failed result with a machine-readable reason and an optional human detail. */
export function fail<R extends string>(
  reason: R,
  detail?: string,
): { readonly ok: false; readonly reason: R; readonly detail?: string } {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** A client's input refused: a stable machine code and a message for the client. */
export interface Refusal {
  readonly code: string;
  readonly message: string;
}

/**
 * The outcome of checking a client's input (API query parameters, a table query, a DVM job request): the value,
 * or the refusal to answer with (`E` may carry more, such as an HTTP status).
 */
export type Checked<T, E extends Refusal = Refusal> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/** Build a refusal. */
export function refuse(code: string, message: string): { readonly ok: false; readonly error: Refusal } {
  return { ok: false, error: { code, message } };
}
