import { describe, expect, it } from 'vitest';
import { startTestRelay } from '../../testing/relay/relay.js';
import { checkHttp, httpData } from './http.js';

const local = { network: 'local' as const, allowLocal: true };

describe('nip66 http', () => {
  it('reads Server and X-Powered-By from the upgrade response', async () => {
    await using relay = await startTestRelay({ upgradeHeaders: { server: 'strfry 1.0', 'x-powered-by': 'nostr-rs' } });
    expect(await checkHttp(relay.url, local)).toEqual({
      data: { http_server: 'strfry 1.0', http_powered_by: 'nostr-rs' },
      logs: { success: true },
    });
  });

  it('omits absent or blank headers, bounds long ones, and fails with the connect reason', async () => {
    expect(httpData({ server: '   ', 'x-powered-by': 'x'.repeat(1000) })).toEqual({ http_powered_by: 'x'.repeat(256) });
    expect(await checkHttp('ws://127.0.0.1:1', local)).toEqual({
      data: {},
      logs: { success: false, reason: 'refused' },
    });
  });
});
