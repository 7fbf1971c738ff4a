/** The fixed set of reasons a relay probe can fail for: stored and counted by the services. */
import type { Result } from '../../models/result.js';

/** Why talking to a relay (or its HTTP side) failed. */
export type ProbeReason =
  | 'refused'
  | 'timeout'
  | 'tls'
  | 'dns'
  | 'http'
  | 'not-nostr'
  | 'auth-required'
  | 'payment-required'
  | 'rate-limited'
  | 'closed'
  | 'too-large'
  | 'invalid';

/** The outcome of a probe: a value, or a reason from the fixed set with a readable detail. */
export type ProbeResult<T> = Result<T, ProbeReason>;

const TLS_CODES = /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH)/;

/** Map a Node network error (by its `code`) to a probe reason. */
export function reasonOfError(err: unknown): ProbeReason {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  // ETIMEOUT (sic) is c-ares's code for a DNS server that did not answer in time.
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'ABORT_ERR') return 'timeout';
  if (typeof code !== 'string') return 'refused';
  if (code === 'ELOCALADDR' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return 'refused';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA' || code === 'ESERVFAIL') return 'dns';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') return 'closed';
  if (TLS_CODES.test(code) || code.startsWith('ERR_SSL_')) return 'tls';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'too-large';
  if (code.startsWith('WS_ERR_')) return 'invalid';
  return 'refused';
}

/** Whether an error is a TLS certificate problem (the case the insecure retry exists for). */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && /^(CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_TLS_CERT|HOSTNAME_MISMATCH)/.test(code)
  );
}
