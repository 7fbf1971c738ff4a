/**
 * Compression offered to relays: a relay on the local network (loopback, private addresses) is asked for no
 * permessage-deflate (inflating every frame cost the first sync from a same-machine strfry a fifth of its main
 * thread, and strfry as much to compress), while a relay on the internet still is (bandwidth). A real `ws` server
 * that accepts compression, reached once as a local address and once through a clearnet name.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { openRelaySocket } from './socket.js';

let server: WebSocketServer;
let port: number;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('openRelaySocket compression', () => {
  it('offers no permessage-deflate to a relay on the local network', async () => {
    const opened = await openRelaySocket(`ws://127.0.0.1:${port}`, { network: 'local', allowLocal: true });
    if (!opened.ok) throw new Error(`${opened.reason}: ${opened.detail}`);
    expect(opened.value.ws.extensions).toBe('');
    opened.value.ws.close();
  });

  it('still offers it to a clearnet relay', async () => {
    // a clearnet name, resolved (by the injected resolver) to this machine, as allowed with the local network on
    const resolver = async () => [{ address: '127.0.0.1', family: 4 as const }];
    const opened = await openRelaySocket(`ws://relay.example.com:${port}`, {
      network: 'clearnet',
      allowLocal: true,
      resolver,
    });
    if (!opened.ok) throw new Error(`${opened.reason}: ${opened.detail}`);
    expect(opened.value.ws.extensions).toContain('permessage-deflate');
    opened.value.ws.close();
  });
});
