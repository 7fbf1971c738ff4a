/**
 * The test relay: a real WebSocket + HTTP server on 127.0.0.1. NIP-01 with real filter semantics,
 * a NIP-11 document whose `max_limit` is enforced, NIP-42 (optionally required), NIP-45, a NIP-77 responder,
 * optional TLS, and switchable misbehaviours. Cheap enough to run thousands in one process.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { NostrEvent } from '../../models/event.js';
import { startSession } from './session.js';
import { createEventStore, type EventStore } from './store.js';
import { type StrfryProfile, strfryBatchOrder, strfryInfo, strfryRules } from './strfry-profile.js';
import { startStrfrySession } from './strfry-session.js';
import type { Misbehaviour, RelayContext, TestRelayInfo } from './types.js';

export type { StrfryProfile } from './strfry-profile.js';
export type { Misbehaviour, TestRelayInfo } from './types.js';

/** How to start a test relay. */
export interface TestRelayOpts {
  readonly events?: readonly NostrEvent[];
  /** The NIP-11 document (default: a name, NIPs 1, 11, 42, 45, 77 and `max_limit` 5,000). */
  readonly info?: TestRelayInfo;
  readonly authRequired?: { readonly read?: boolean; readonly write?: boolean };
  /** Serve wss/https with this PEM key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
  readonly misbehave?: Misbehaviour;
  /** Port to listen on (default: any free one). */
  readonly port?: number;
  /** Largest accepted client frame; default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Extra headers of the 101 upgrade response (default `Server: bigbrotr-test-relay`). */
  readonly upgradeHeaders?: Readonly<Record<string, string>>;
  /**
   * Behave like strfry 1.1.1 in its shipped configuration (docs/relays.md): restricted kinds 4 and 1059, AUTH on
   * demand, `ERROR: ` reasons, max_limit 500, 200 subscriptions, 131,072-byte messages, strfry's NIP-11 and
   * negentropy. `{}` for the defaults. `info`, `authRequired` and `misbehave` do not apply to this profile.
   */
  readonly strfry?: StrfryProfile;
}

/** A running test relay. */
export interface TestRelay extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>` (or `wss://`): the relay URL clients must use (also the NIP-42 relay tag). */
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  readonly info: TestRelayInfo;
  /** Misbehaviours can be switched while it runs. */
  misbehave: Misbehaviour;
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** The default NIP-11 document. */
export const DEFAULT_TEST_RELAY_INFO: TestRelayInfo = {
  name: 'bigbrotr test relay',
  supported_nips: [1, 11, 42, 45, 77],
  software: 'bigbrotr-test-relay',
  limitation: { max_limit: 5000 },
};

/** Start a test relay on 127.0.0.1. */
export async function startTestRelay(opts: TestRelayOpts = {}): Promise<TestRelay> {
  const rules = opts.strfry ? strfryRules(opts.strfry) : undefined;
  const info = rules ? strfryInfo(rules) : (opts.info ?? DEFAULT_TEST_RELAY_INFO);
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }) : createHttpServer();
  const wss = new WebSocketServer({
    noServer: true,
    // the strfry profile checks the size itself: strfry drops the connection, `ws` would send a close frame
    maxPayload: rules ? 64 * 1024 * 1024 : (opts.maxMessageBytes ?? 1024 * 1024),
    perMessageDeflate: false,
  });
  const deliver = new Set<(e: NostrEvent) => void>();
  let accepted = 0;
  const ctx: { -readonly [K in keyof RelayContext]: RelayContext[K] } = {
    url: '',
    store: rules
      ? createEventStore(strfryBatchOrder(opts.events ?? []), { insertionOrder: true })
      : createEventStore(opts.events),
    info,
    maxLimit: info.limitation?.max_limit ?? Number.POSITIVE_INFINITY,
    authRequired: { read: opts.authRequired?.read === true, write: opts.authRequired?.write === true },
    misbehave: opts.misbehave ?? {},
    broadcast: (e) => {
      for (const d of deliver) d(e);
    },
  };
  const extra = Object.entries(opts.upgradeHeaders ?? { server: rules ? 'strfry' : 'bigbrotr-test-relay' });
  wss.on('headers', (headers) => {
    for (const [name, value] of extra) headers.push(`${name}: ${value}`);
  });
  server.on('request', (req, res) => serveInfo(req, res, info, rules ? 'application/json' : 'application/nostr+json'));
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted += 1;
      const d = rules ? startStrfrySession(ctx, rules, ws, socket as Socket) : startSession(ctx, ws, socket as Socket);
      deliver.add(d);
      ws.once('close', () => deliver.delete(d));
    });
  });
  server.listen(opts.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  ctx.url = `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: ctx.url,
    port,
    store: ctx.store,
    info,
    get misbehave() {
      return ctx.misbehave;
    },
    set misbehave(m: Misbehaviour) {
      ctx.misbehave = m;
    },
    connections: () => accepted,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function serveInfo(req: IncomingMessage, res: ServerResponse, info: TestRelayInfo, contentType: string): void {
  if (req.headers.accept?.includes('application/nostr+json')) {
    res.writeHead(200, { 'content-type': contentType, 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(info));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('Please use a Nostr client to connect.\n');
}
