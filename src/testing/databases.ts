/**
 * Test and benchmark databases: build a template database per deployment from the deployment's init SQL,
 * then clone it cheaply (CREATE DATABASE ... TEMPLATE) for each test file.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';

/** A deployment whose schema can be created. */
export type Deployment = 'bigbrotr' | 'lilbrotr';

/** The folder holding the ordered init SQL of a deployment. */
export function initSqlDir(repoRoot: string, deployment: Deployment): string {
  return join(repoRoot, 'deployments', deployment, 'postgres', 'init');
}

/** Replace the database name of a PostgreSQL connection URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Apply every `*.sql` file of a folder, in file-name order, to the database at `url`. */
export async function applySqlDir(url: string, dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8');
      await sql.unsafe(text).simple();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Create a fresh database named `name` (dropping any leftover of that name), optionally from a template. */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
    if (template) await sql`CREATE DATABASE ${sql(name)} TEMPLATE ${sql(template)}`;
    else await sql`CREATE DATABASE ${sql(name)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  return withDatabase(adminUrl, name);
}

/** Drop a database, disconnecting any remaining sessions. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Build the template database of a deployment and return its name. */
export async function createTemplateDatabase(
  adminUrl: string,
  repoRoot: string,
  deployment: Deployment,
  name: string,
): Promise<string> {
  const url = await createDatabase(adminUrl, name);
  await applySqlDir(url, initSqlDir(repoRoot, deployment));
  return name;
}

/** A random, valid database name with a readable prefix. */
export function randomDatabaseName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase();
}
