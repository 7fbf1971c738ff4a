/** What an operator meets first: start-up checks, config notes, clear refusals (real ports, real PostgreSQL). */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../core/config/index.js';
import { freePort } from '../core/embedded.js';
import { monitorConfigSchema } from '../services/monitor/config.js';
import { artifactDir } from '../testing/artifacts.js';
import { cliDatabaseEnv } from '../testing/cli-env.js';
import { captureIo } from '../testing/cli-io.js';
import { generateEvents } from '../testing/events.js';
import { useTestDatabase } from '../testing/vitest/db.js';
import { main } from './main.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const db = useTestDatabase('bigbrotr');

async function run(argv: string[], env: Record<string, string>) {
  const captured = captureIo(env);
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}

/** A copy of the shipped deployment to edit. */
async function deploymentCopy(name: string): Promise<string> {
  const dir = join(await artifactDir(`bb-op-${name}-`), 'deployment');
  await cp(join(repo, 'deployments/bigbrotr'), dir, { recursive: true });
  return dir;
}

async function editYaml(path: string, from: string, to: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${from} not in ${path}`);
  await writeFile(path, text.replace(from, to));
}

describe('start-up checks', () => {
  it('refuses a taken API port before anything starts: one line, exit 2', async () => {
    const port = await freePort();
    const blocker = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const dir = await artifactDir('bb-op-port-');
      const r = await run(['up'], { BIGBROTR_DATA_DIR: join(dir, 'pg'), API_PORT: String(port) });
      expect(r.code).toBe(2);
      expect(r.err).toContain(`port ${port} on 127.0.0.1 (the api and dashboard) is already in use`);
      expect(r.err).toContain('API_PORT');
      // nothing was started: no server, no demo, no service
      expect(r.err).not.toMatch(/embedded_postgres_starting|service_started|CONNECTION_ENDED|demo_ready/);
    } finally {
      blocker.close();
    }
  });

  it('refuses an unusable data folder and a malformed key, each named', async () => {
    const dir = await artifactDir('bb-op-data-');
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    const r = await run(['up'], {
      BIGBROTR_DATA_DIR: file,
      API_PORT: String(await freePort()),
      NOSTR_PRIVATE_KEY: 'not-a-key',
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the data folder ${file} exists and is not a folder`);
    expect(r.err).toContain('NOSTR_PRIVATE_KEY is not a valid Nostr private key');
    expect(r.err).not.toContain('not-a-key');
  });

  it('a command that cannot reach its database exits 1 saying where', async () => {
    const port = await freePort();
    const r = await run(['export'], {
      ...cliDatabaseEnv(db.url),
      DB_PORT: String(port),
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
    // a trust-auth server needs no password: no warning about the unset variable
    const ok = await run(['db', 'verify'], { ...cliDatabaseEnv(db.url), DB_ADMIN_PASSWORD: '' });
    expect(ok.err).not.toContain('password_env_unset');
  }, 60_000);
});

describe('configuration notes', () => {
  it('monitor with only the local network: clearnet-only checks skipped with one note, not rejected', async () => {
    const dir = await deploymentCopy('monitor');
    const path = join(dir, 'config/services/monitor.yaml');
    await editYaml(path, 'clearnet: {enabled: true', 'clearnet: {enabled: false');
    await editYaml(path, 'local: {enabled: false', 'local: {enabled: true');
    const config = await loadConfigFile(path, monitorConfigSchema, { env: {} });
    expect(config.skipped_checks.sort()).toEqual(['nip66_dns', 'nip66_geo', 'nip66_net', 'nip66_ssl']);
    expect(config.processing.compute.nip66_ssl).toBe(false);
    expect(config.processing.store.nip66_geo).toBe(false);
    expect(config.processing.compute.nip66_rtt).toBe(true);
  });

  it('a cross-field error names the key without dumping the resolved config', async () => {
    const path = join(await artifactDir('bb-op-error-'), 'monitor.yaml');
    await writeFile(path, 'processing:\n  compute: {nip66_http: false}\n  store: {nip66_http: true}\n');
    const err = await loadConfigFile(path, monitorConfigSchema, { env: {} }).catch((e: Error) => e);
    expect(String(err)).toContain('processing.store.nip66_http: store requires compute.nip66_http');
    expect(String(err)).not.toContain('"networks"');
    for (const line of String(err).split('\n')) expect(line.length).toBeLessThan(path.length + 150);
  });

  it('import --relay accepts a local relay URL when the deployment enables the local network', async () => {
    const dir = await deploymentCopy('import');
    const file = join(dir, 'events.jsonl');
    await writeFile(
      file,
      generateEvents(3)
        .map((e) => `${JSON.stringify(e)}\n`)
        .join(''),
    );
    const env = cliDatabaseEnv(db.url);
    const argv = ['import', file, '--relay', 'ws://127.0.0.1:7777', '--deployment', dir];
    const refused = await run(argv, env);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('enables the local network');
    await editYaml(join(dir, 'config/services/synchronizer.yaml'), 'local: {enabled: false', 'local: {enabled: true');
    const accepted = await run(argv, env);
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain('inserted=3');
  });
});
