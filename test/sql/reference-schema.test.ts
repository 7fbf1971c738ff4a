/**
 * A fresh `db init` of each deployment reproduces every catalog fact of the reference's schema (release 6.6.9):
 * the same relations, partition names and bounds, columns in the same order with the same types, and the same
 * functions by identity arguments and result, and nothing more of those kinds (indexes and options may differ).
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initDatabase } from '../../src/core/db/schema.js';
import {
  createDatabase,
  type Deployment,
  dropDatabase,
  initSqlDir,
  randomDatabaseName,
} from '../../src/testing/databases.js';
import { catalogFacts, referenceFacts } from './catalog-facts.js';

describe.each<Deployment>(['bigbrotr', 'lilbrotr'])('a fresh db init of %s', (deployment) => {
  let sql: postgres.Sql;
  let name: string;
  beforeAll(async () => {
    name = randomDatabaseName(`t_facts_${deployment}`);
    const url = await createDatabase(inject('adminUrl'), name);
    sql = postgres(url, { max: 1, onnotice: () => {} });
    await initDatabase(sql, initSqlDir(process.cwd(), deployment));
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    if (name) await dropDatabase(inject('adminUrl'), name);
  });

  it('has exactly the reference catalog facts', async () => {
    const want = referenceFacts(deployment);
    expect(want.length).toBeGreaterThan(180);
    expect(await catalogFacts(sql)).toEqual(want);
  });

  it('keeps them after a second init', async () => {
    await initDatabase(sql, initSqlDir(process.cwd(), deployment));
    expect(await catalogFacts(sql)).toEqual(referenceFacts(deployment));
  });
});
