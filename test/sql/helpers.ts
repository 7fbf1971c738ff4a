/** Small builders for the SQL tests: parallel arrays for the stored functions. */
import type postgres from 'postgres';

/** A fake event row (the database does not verify signatures). */
export interface Ev {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}

/** 32 bytes of hex from a small number. */
export const hex32 = (n: number): string => n.toString(16).padStart(64, '0');

/** Build an event with defaults. */
export function ev(n: number, over: Partial<Ev> = {}): Ev {
  return {
    id: hex32(n),
    pubkey: hex32(1000),
    created_at: 1000 + n,
    kind: 1,
    tags: [],
    content: `c${n}`,
    sig: `${hex32(n)}${hex32(n)}`,
    ...over,
  };
}

const b = (h: string): Buffer => Buffer.from(h, 'hex');

/** Call event_relay_insert_cascade for events seen on one relay. */
export async function insertCascade(
  sql: postgres.Sql,
  events: Ev[],
  relay = 'wss://r.example.com',
  seenAt = 5000,
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT event_relay_insert_cascade(
    ${sql.array(
      events.map((e) => b(e.id)),
      1001,
    )}, ${sql.array(
      events.map((e) => b(e.pubkey)),
      1001,
    )},
    ${events.map((e) => e.created_at)}::bigint[], ${events.map((e) => e.kind)}::int[],
    ${events.map((e) => JSON.stringify(e.tags))}::text[]::jsonb[], ${events.map((e) => e.content)}::text[],
    ${sql.array(
      events.map((e) => b(e.sig)),
      1001,
    )}, ${events.map(() => relay)}::text[],
    ${events.map(() => 'clearnet')}::text[], ${events.map(() => 1)}::bigint[],
    ${events.map(() => seenAt)}::bigint[]) AS n`;
  return row?.n ?? -1;
}

/** Call relay_metadata_insert_cascade for one document of one relay. */
export async function insertRelayMetadata(
  sql: postgres.Sql,
  relay: string,
  type: string,
  id: string,
  data: unknown,
  generatedAt: number,
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT relay_metadata_insert_cascade(
    ${[relay]}::text[], ${['clearnet']}::text[], ${[1]}::bigint[], ${sql.array([b(id)], 1001)}, ${[type]}::text[],
    ${[JSON.stringify(data)]}::text[]::jsonb[], ${[generatedAt]}::bigint[]) AS n`;
  return row?.n ?? -1;
}
