/**
 * The schema's write ceiling: the same rows the writer stores (event with its tagvalues, one event_relay row per
 * event) put into a fresh bigbrotr database by COPY, the fastest bulk path PostgreSQL has, with every index,
 * key and foreign key of the schema in place. Two ways: straight into the tables (tagvalues computed here, checked
 * against `tags_to_tagvalues` afterwards), and into a staging table followed by one set-based INSERT … SELECT
 * (tagvalues computed by the database, as the insert functions do).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type postgres from 'postgres';
import type { NostrEvent } from '../src/models/event.js';

/** COPY text format: backslash, newline, carriage return and tab escaped. */
const copyText = (s: string): string => s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] ?? c);
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const byteaHex = (hex: string): string => `\\\\x${hex}`;

/** tags_to_tagvalues in JS: 'name:value' for every tag whose name is one character, as an array literal. */
function tagvaluesLiteral(tags: readonly (readonly unknown[])[]): string {
  const asText = (v: unknown): string | null =>
    v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
  const items: string[] = [];
  for (const t of tags) {
    const name = asText(t[0]);
    if (name === null || [...name].length !== 1) continue;
    const value = asText(t[1]);
    items.push(value === null ? 'NULL' : `"${`${name}:${value}`.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  }
  return `{${items.join(',')}}`;
}

async function writeAll(stream: Writable, lines: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length > 1 << 20) {
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  stream.end(chunk);
  await once(stream, 'finish');
}

function* eventLines(events: readonly NostrEvent[], withTagvalues: boolean): Generator<string> {
  for (const e of events) {
    const cols = [byteaHex(e.id), byteaHex(e.pubkey), String(e.created_at), String(e.kind)];
    cols.push(copyText(JSON.stringify(e.tags)));
    if (withTagvalues) cols.push(copyText(tagvaluesLiteral(e.tags)));
    cols.push(copyText(e.content), byteaHex(e.sig));
    yield `${cols.join('\t')}\n`;
  }
}

function* sightingLines(events: readonly NostrEvent[], relayUrl: string, seenAt: number): Generator<string> {
  for (const e of events) yield `${byteaHex(e.id)}\t${copyText(relayUrl)}\t${seenAt}\n`;
}

/** COPY straight into event and event_relay (one transaction); seconds. The relay row must exist. */
export async function copyDirect(sql: postgres.Sql, events: readonly NostrEvent[], relayUrl: string): Promise<number> {
  const started = performance.now();
  await sql.begin(async (tx) => {
    await tx`SET LOCAL synchronous_commit = off`;
    const ev = await tx`COPY event (id, pubkey, created_at, kind, tags, tagvalues, content, sig) FROM STDIN`.writable();
    await writeAll(ev, eventLines(events, true));
    const er = await tx`COPY event_relay (event_id, relay_url, seen_at) FROM STDIN`.writable();
    await writeAll(er, sightingLines(events, relayUrl, 1_700_000_000));
  });
  const seconds = (performance.now() - started) / 1000;
  const [bad] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event
    WHERE tagvalues IS DISTINCT FROM tags_to_tagvalues(tags)`;
  if (bad?.n !== 0) throw new Error(`COPY ceiling: ${bad?.n} rows with tagvalues other than tags_to_tagvalues`);
  return seconds;
}

/** COPY into a temporary staging table, then INSERT … SELECT in id order with ON CONFLICT; seconds. */
export async function copyStaged(sql: postgres.Sql, events: readonly NostrEvent[], relayUrl: string): Promise<number> {
  const started = performance.now();
  await sql.begin(async (tx) => {
    await tx`SET LOCAL synchronous_commit = off`;
    await tx`CREATE TEMP TABLE stage (id bytea, pubkey bytea, created_at bigint, kind int, tags jsonb, content text,
      sig bytea) ON COMMIT DROP`;
    const ev = await tx`COPY stage FROM STDIN`.writable();
    await writeAll(ev, eventLines(events, false));
    await tx`INSERT INTO event (id, pubkey, created_at, kind, tags, tagvalues, content, sig)
      SELECT id, pubkey, created_at, kind, tags, tags_to_tagvalues(tags), content, sig FROM stage ORDER BY id
      ON CONFLICT (id) DO NOTHING`;
    await tx`INSERT INTO event_relay (event_id, relay_url, seen_at)
      SELECT id, ${relayUrl}, 1700000000 FROM stage ORDER BY id ON CONFLICT DO NOTHING`;
  });
  return (performance.now() - started) / 1000;
}
