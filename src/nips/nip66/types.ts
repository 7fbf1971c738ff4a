/** The shape every NIP-66 check returns (`{data, logs}`; never throws for network trouble). */

/** A check's outcome: the measured data (empty on failure) and whether it worked, with the reason if not. */
export interface CheckResult<D> {
  readonly data: D;
  readonly logs: CheckLogs;
}

/** Success, or failure with a reason (a probe reason such as `timeout`, `refused`, `tls`, `dns`). */
export type CheckLogs = { readonly success: true } | { readonly success: false; readonly reason: string };

/** A failed check. */
export function checkFailed<D>(reason: string, empty: D): CheckResult<D> {
  return { data: empty, logs: { success: false, reason } };
}

/** A successful check. */
export function checkOk<D>(data: D): CheckResult<D> {
  return { data, logs: { success: true } };
}
