/**
 * A relay built with CodyTseng's nostr-relay library (`@nostr-relay/core`, `@nostr-relay/event-repository-sqlite`,
 * `@nostr-relay/validator`), wired to a `ws` server exactly as the library's README shows: each message goes
 * through the validator, then to `NostrRelay.handleMessage`; a message the validator refuses is answered with a
 * NOTICE carrying its error. The repository is an in-memory SQLite database (better-sqlite3). What the library
 * does that matters to a crawler is in docs/relays.md ("Third-party relays in the tests"). Test-only: it lives
 * under src/testing/vitest so the build never compiles its development-only imports.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createOutgoingNoticeMessage, LogLevel } from '@nostr-relay/common';
import { NostrRelay } from '@nostr-relay/core';
import { EventRepositorySqlite } from '@nostr-relay/event-repository-sqlite';
import { Validator } from '@nostr-relay/validator';
import { WebSocketServer } from 'ws';
import type { NostrEvent } from '../../models/event.js';

/** A running nostr-relay library relay on 127.0.0.1. */
export interface LibRelay extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string;
  /** Store events through the repository's own insert path (`upsert`); how many were new. */
  load(events: readonly NostrEvent[]): Promise<number>;
  /** The NOTICEs the relay sent (validator refusals among them), oldest first. */
  readonly notices: readonly string[];
  stop(): Promise<void>;
}

/** Start one on a port the OS picks. `hostname` turns NIP-42 on (the library then restricts kind 4). */
export async function startLibRelay(opts: { hostname?: string } = {}): Promise<LibRelay> {
  const repository = new EventRepositorySqlite(':memory:');
  await repository.init();
  const relay = new NostrRelay(repository, {
    logLevel: LogLevel.ERROR,
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
  });
  const validator = new Validator();
  const notices: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws, req) => {
    relay.handleConnection(ws, req.socket.remoteAddress);
    ws.on('message', async (data) => {
      try {
        const message = await validator.validateIncomingMessage(data);
        await relay.handleMessage(ws, message);
      } catch (error) {
        if (error instanceof Error) {
          notices.push(error.message);
          ws.send(JSON.stringify(createOutgoingNoticeMessage(error.message)));
        }
      }
    });
    ws.on('close', () => relay.handleDisconnect(ws));
  });
  const { port } = wss.address() as AddressInfo;
  const stop = async (): Promise<void> => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await relay.destroy();
    await repository.destroy();
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    notices,
    async load(events) {
      let added = 0;
      for (const e of events) {
        // the library's Event type has mutable tags
        const event = { ...e, tags: e.tags.map((t) => [...t]) };
        if (!(await repository.upsert(event)).isDuplicate) added += 1;
      }
      return added;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
