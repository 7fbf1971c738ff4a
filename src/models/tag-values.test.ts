/** tagValues must compute exactly what the database's tags_to_tagvalues stores (the reference's rule). */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tagValues } from './event.js';

// The function as the deployments define it, created in this session's temporary schema.
const definition = /CREATE OR REPLACE FUNCTION tags_to_tagvalues[\s\S]*?\$\$;/.exec(
  readFileSync(new URL('../../deployments/sql/01_utility_functions.sql', import.meta.url), 'utf8'),
)?.[0];

let sql: postgres.Sql;
beforeAll(async () => {
  sql = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  if (!definition) throw new Error('tags_to_tagvalues not found in deployments/sql/01_utility_functions.sql');
  await sql.unsafe(definition.replace('FUNCTION tags_to_tagvalues', 'FUNCTION pg_temp.tags_to_tagvalues'));
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

async function fromDatabase(tags: readonly (readonly string[])[]): Promise<(string | null)[]> {
  const [row] = await sql<
    { v: (string | null)[] }[]
  >`SELECT to_jsonb(pg_temp.tags_to_tagvalues(${sql.json(tags as string[][])})) AS v`;
  return row?.v ?? [];
}

describe('tagValues', () => {
  it("follows the reference's rule and counts a one-character name in code points", () => {
    expect(tagValues([['e', 'abc'], ['p', 'def'], ['relay', 'wss://x'], ['t'], ['e', 'abc', 'x']])).toEqual([
      'e:abc',
      'p:def',
      null,
      'e:abc',
    ]);
    expect(tagValues([])).toEqual([]);
    expect(
      tagValues([
        ['😀', 'x'],
        ['é', 'y'],
        ['ab', 'z'],
        ['', 'w'],
      ]),
    ).toEqual(['😀:x', 'é:y']);
  });

  it('agrees with the SQL function on generated tags', async () => {
    const name = fc.oneof(fc.constantFrom('e', 'p', 't', 'd', '😀', 'é', 'relay', ''), fc.string({ maxLength: 2 }));
    const tag = fc.tuple(
      name,
      fc.array(
        fc.string({ maxLength: 6 }).filter((s) => !s.includes('\0')),
        { maxLength: 3 },
      ),
    );
    const tags = fc.array(
      tag.map(([n, rest]) => [n, ...rest].filter((s) => !s.includes('\0'))),
      { maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(tags, async (t) => {
        expect(tagValues(t)).toEqual(await fromDatabase(t));
      }),
      { numRuns: 150 },
    );
  });
});
