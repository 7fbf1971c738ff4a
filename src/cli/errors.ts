/** Errors the CLI maps to exit codes: usage/configuration mistakes exit 2, everything else 1. */

/** A command-line or configuration mistake by the user: exit code 2, message shown without a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
