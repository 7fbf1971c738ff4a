/** NIP-66 http check (nip66_http): the `Server` and `X-Powered-By` headers of the WebSocket upgrade. */
import { type ConnectOpts, connectRelay } from '../nip01/connection.js';
import { type CheckResult, checkFailed, checkOk } from './types.js';

/** What the upgrade response said about the server. */
export interface HttpData {
  readonly http_server?: string;
  readonly http_powered_by?: string;
}

/** Read the upgrade response headers of a relay (values trimmed and cut at 256 characters). */
export async function checkHttp(url: string, opts: ConnectOpts): Promise<CheckResult<HttpData>> {
  const opened = await connectRelay(url, opts);
  if (!opened.ok) return checkFailed(opened.reason, {});
  await using conn = opened.value;
  return checkOk(httpData(conn.headers));
}

/** The http data of a set of (lower-case) response headers. */
export function httpData(headers: Readonly<Record<string, string>>): HttpData {
  const clean = (v: string | undefined): string | undefined => v?.trim().slice(0, 256) || undefined;
  const server = clean(headers.server);
  const poweredBy = clean(headers['x-powered-by']);
  return { ...(server ? { http_server: server } : {}), ...(poweredBy ? { http_powered_by: poweredBy } : {}) };
}
