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
