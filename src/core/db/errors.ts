/** Database errors, told apart by SQLSTATE or socket error code — never by message text. */

/** Raised when the server cannot be reached after the configured retries. Names host and port, never secrets. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/** Raised when a database lacks objects the services need (see `verifyDatabase`). */
export class SchemaMismatchError extends Error {
  override name = 'SchemaMismatchError';
}

const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'CONNECTION_DESTROYED',
]);

/** The SQLSTATE or socket code of an error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether a failure is worth retrying: connection exceptions (class 08), server shutting down or starting
 * (57P01–57P03), too many connections (53300), serialization failure and deadlock (40001, 40P01), and socket
 * errors. Anything else is permanent and fails at once.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = errorCode(err);
  if (code === undefined) return false;
  return code.startsWith('08') || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_CODES.has(code);
}

/** Whether a failure means the server could not be reached at all. */
export function isConnectError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('08') || code === '57P03');
}
