// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The deployment folders without a Docker engine: every YAML file parses, and the two deployments differ only
 * in names and host ports.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument, parse as parseYaml } from 'yaml';
import { interpolate } from '../src/core/config/index.js';
import {
  DEPLOYMENTS,
  type Deployment,
  dirOf,
  envExample,
  filesUnder,
  HOST_PORTS,
  loadCompose,
  publishedPorts,
  read,
  root,
} from '../src/testing/vitest/deployments.js';

describe('YAML files', () => {
  it('every YAML file under deployments/ parses (config files after ${VAR} interpolation, as the CLI reads them)', () => {
    const files = filesUnder(join(root, 'deployments'), (f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(30);
    const env = { ...envExample('bigbrotr'), DB_EMBEDDED: 'false' };
    for (const file of files) {
      let text = readFileSync(file, 'utf8');
      if (file.includes('/config/')) text = interpolate(text, env, file);
      const doc = parseDocument(text, { merge: true });
      expect(doc.errors.map((e) => `${relative(root, file)}: ${e.message}`)).toEqual([]);
    }
  });
});

describe('the two deployments', () => {
  it('publish no host port twice, within a stack or across the two', () => {
    const all = DEPLOYMENTS.flatMap((d) =>
      Object.values(loadCompose(d).services).flatMap((s) => publishedPorts(s).map(([host]) => host)),
    );
    expect(all.length).toBe(28);
    expect(new Set(all).size).toBe(all.length);
  });

  const lilToBig = (s: string) => s.replaceAll('lilbrotr', 'bigbrotr');
  it('have identical monitoring, PgBouncer and PostgreSQL files except for the deployment name', () => {
    const parts = ['monitoring', 'pgbouncer', 'postgres/postgresql.conf', '.env.example'];
    const list = (d: Deployment) =>
      parts.flatMap((p) => {
        const full = join(dirOf(d), p);
        return statSync(full).isDirectory() ? filesUnder(full).map((f) => relative(dirOf(d), f)) : [p];
      });
    const big = list('bigbrotr');
    expect(list('lilbrotr').map(lilToBig)).toEqual(big);
    for (const file of list('lilbrotr')) {
      const normalised = lilToBig(read(dirOf('lilbrotr'), file)).replace('127.0.0.1:3001', '127.0.0.1:3000');
      expect(normalised, file).toBe(read(dirOf('bigbrotr'), lilToBig(file)));
    }
  });

  it('have the same Compose services, differing only in names and host ports', () => {
    const portMap = new Map(
      Object.keys(HOST_PORTS.bigbrotr).map((k) => [HOST_PORTS.lilbrotr[k], HOST_PORTS.bigbrotr[k]]),
    );
    const normalise = (text: string) =>
      lilToBig(text).replace(/(127\.0\.0\.1\}:)(\d+)(:\d+)/g, (_, a, p, b) => `${a}${portMap.get(Number(p)) ?? p}${b}`);
    const big = parseYaml(read(dirOf('bigbrotr'), 'docker-compose.yaml'), { merge: true });
    const lil = parseYaml(normalise(read(dirOf('lilbrotr'), 'docker-compose.yaml')), { merge: true });
    expect(lil).toEqual(big);
  });
});
