/**
 * vitest global setup: find a PostgreSQL server (BIGBROTR_TEST_DATABASE_URL, else the embedded server the
 * project ships), build one template database per deployment, and hand their names to the test files.
 */
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { createTemplateDatabase, type Deployment, dropDatabase } from '../databases.js';
import { startTestServer } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templates: Record<Deployment, string>;
  }
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer();
  const suffix = `${process.pid}`;
  const templates: Record<Deployment, string> = {
    bigbrotr: await createTemplateDatabase(server.adminUrl, repoRoot, 'bigbrotr', `tpl_bigbrotr_${suffix}`),
    lilbrotr: await createTemplateDatabase(server.adminUrl, repoRoot, 'lilbrotr', `tpl_lilbrotr_${suffix}`),
  };
  await server.prepareRoles();
  project.provide('adminUrl', server.adminUrl);
  project.provide('templates', templates);
  return async () => {
    for (const name of Object.values(templates)) await dropDatabase(server.adminUrl, name);
    await server.stop();
  };
}
