import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createTestCertificate } from '../../testing/certs.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { checkSpeaksNostr } from './probe.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
const local = { network: 'local' as const, allowLocal: true, timeoutMs: 1500 };
const plainNips = { supported_nips: [1, 11] };

async function relayUrl(opts: TestRelayOpts): Promise<string> {
  const r = await startTestRelay(opts);
  cleanup.push(() => r.close());
  return r.url;
}

describe('checkSpeaksNostr', () => {
  it('accepts EOSE, EVENT, CLOSED and AUTH as protocol answers', async () => {
    expect(await checkSpeaksNostr(await relayUrl({ info: plainNips }), local)).toEqual({
      ok: true,
      value: { answer: 'EOSE', insecure: false },
    });
    const withEvents = await relayUrl({ info: plainNips, misbehave: { noEose: true }, events: [] });
    expect(await checkSpeaksNostr(withEvents, local)).toMatchObject({ ok: false, reason: 'timeout' });
    const eventOnly = await relayUrl({ info: plainNips, misbehave: { noEose: true }, events: generateEvents(3) });
    expect(await checkSpeaksNostr(eventOnly, local)).toMatchObject({ ok: true, value: { answer: 'EVENT' } });
    const limited = await relayUrl({ info: plainNips, misbehave: { rateLimited: true } });
    expect(await checkSpeaksNostr(limited, local)).toMatchObject({ ok: true, value: { answer: 'CLOSED' } });
    const authed = await relayUrl({ authRequired: { read: true } });
    expect(await checkSpeaksNostr(authed, local)).toMatchObject({ ok: true, value: { answer: 'AUTH' } });
  });

  it('rejects NOTICE-only relays, echo servers and web servers as not-nostr, silence as timeout', async () => {
    const noticeOnly = await relayUrl({ info: plainNips, misbehave: { noticeInsteadOfAnswers: true } });
    expect(await checkSpeaksNostr(noticeOnly, local)).toMatchObject({ ok: false, reason: 'not-nostr' });
    const stall = await relayUrl({ info: plainNips, misbehave: { stall: true } });
    expect(await checkSpeaksNostr(stall, local)).toMatchObject({ ok: false, reason: 'timeout' });

    const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    echo.on('connection', (ws) => ws.on('message', (m) => ws.send(String(m))));
    await new Promise((r) => echo.once('listening', r));
    cleanup.push(() => new Promise<void>((r) => echo.close(() => r())));
    const echoUrl = `ws://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    expect(await checkSpeaksNostr(echoUrl, local)).toMatchObject({ ok: false, reason: 'not-nostr' });

    const web = createServer((_q, res) => res.end('<html></html>'));
    web.listen(0, '127.0.0.1');
    await new Promise((r) => web.once('listening', r));
    cleanup.push(() => {
      web.closeAllConnections();
      web.close();
    });
    const webUrl = `ws://127.0.0.1:${(web.address() as AddressInfo).port}`;
    expect(await checkSpeaksNostr(webUrl, local)).toMatchObject({ ok: false, reason: 'not-nostr' });
  });

  it('reports broken TLS as tls, and passes with allowInsecure recorded', async () => {
    const url = await relayUrl({ info: plainNips, tls: await createTestCertificate() });
    expect(await checkSpeaksNostr(url, local)).toMatchObject({ ok: false, reason: 'tls' });
    expect(await checkSpeaksNostr(url, { ...local, allowInsecure: true })).toEqual({
      ok: true,
      value: { answer: 'EOSE', insecure: true },
    });
  });
});
