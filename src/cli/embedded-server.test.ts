import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../core/embedded.js';
import { artifactDir } from '../testing/artifacts.js';
import { acquireEmbedded, checkDataFolderFree, serverRecordPath } from './embedded-server.js';
import { isAlive as alive } from './lifeline.js';

async function query(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    return row?.pid ?? 0;
  } finally {
    await sql.end();
  }
}

describe('one data folder, one embedded server, many commands', () => {
  it('lets commands share the server up owns, refuses a second up at once, and cleans its record', async () => {
    const dataDir = join(await artifactDir('bb-share-'), 'pg');
    const up = await acquireEmbedded({ dataDir, command: 'up' });
    try {
      const record = JSON.parse(await readFile(serverRecordPath(dataDir), 'utf8'));
      expect(record).toMatchObject({ pid: process.pid, port: up.port, command: 'up' });
      // the record is checked against the living: a process id that is ours counts as not running, so pretend
      // another process owns it (the parent of this test runner is alive)
      await writeFile(serverRecordPath(dataDir), JSON.stringify({ ...record, pid: process.ppid }));
      const exporter = await acquireEmbedded({ dataDir, command: 'export' });
      expect(exporter.attachedTo?.command).toBe('up');
      expect(exporter.port).toBe(up.port);
      expect(await query(exporter.url)).toBeGreaterThan(0);
      await exporter.stop(); // leaves up's server running
      expect(await query(up.url)).toBeGreaterThan(0);
      const started = Date.now();
      await expect(acquireEmbedded({ dataDir, command: 'up' })).rejects.toThrow(/already served by 'bigbrotr up'/);
      await expect(checkDataFolderFree(dataDir, 'up')).rejects.toMatchObject({ name: 'UsageError' });
      expect(Date.now() - started).toBeLessThan(5_000);
      // a shorter command owning the server: others refuse instead of losing the server half-way
      await writeFile(serverRecordPath(dataDir), JSON.stringify({ ...record, pid: process.ppid, command: 'import' }));
      await expect(acquireEmbedded({ dataDir, command: 'export' })).rejects.toThrow(/in use by 'bigbrotr import'/);
      await writeFile(serverRecordPath(dataDir), JSON.stringify(record));
    } finally {
      await up.stop();
    }
    expect(existsSync(serverRecordPath(dataDir))).toBe(false);
  }, 120_000);

  it('ignores a stale record and refuses a server no running bigbrotr owns', async () => {
    const dataDir = join(await artifactDir('bb-stale-'), 'pg');
    // a record left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max)
    await writeFile(
      serverRecordPath(dataDir),
      JSON.stringify({ pid: 4_194_305, port: 1, command: 'up', started_at: 'x' }),
    );
    const foreign = await startEmbeddedPostgres({ dataDir });
    try {
      const lock = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
      await expect(acquireEmbedded({ dataDir, command: 'export' })).rejects.toThrow(
        new RegExp(`PostgreSQL server \\(pid ${lock}.*no running bigbrotr owns it`),
      );
      expect(existsSync(serverRecordPath(dataDir))).toBe(false);
    } finally {
      await foreign.stop();
    }
    // once it is stopped, the folder is free again
    const mine = await acquireEmbedded({ dataDir, command: 'export' });
    expect(mine.attachedTo).toBeUndefined();
    await mine.stop();
  }, 120_000);

  it('stops the server when the process that started it is killed (watchdog)', async () => {
    const dataDir = join(await artifactDir('bb-watchdog-'), 'pg');
    const { spawn } = await import('node:child_process');
    const entry = new URL('../core/embedded.ts', import.meta.url).pathname;
    const script = `const { startEmbeddedPostgres } = await import(${JSON.stringify(entry)});
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      console.log('ready ' + s.pid); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /ready (\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    const started = Date.now();
    while (alive(pid) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  }, 120_000);
});

describe('a failed start', () => {
  it('never leaves the embedded server running when opening the database fails after it started', async () => {
    const { openDatabase } = await import('./runtime.js');
    const { resolveDeployment } = await import('./deployment.js');
    const { createLogger } = await import('../core/logger.js');
    const { captureIo } = await import('../testing/cli-io.js');
    const dir = await artifactDir('bb-failed-start-');
    const dataDir = join(dir, 'pg');
    const brotrYaml = join(dir, 'brotr.yaml');
    // the server starts, then the database name is refused (after the start)
    await writeFile(
      brotrYaml,
      `database:\n  embedded: true\n  database: "bad-name"\nembedded:\n  data_dir: ${dataDir}\n`,
    );
    const { io } = captureIo({});
    const deployment = resolveDeployment(io.cwd, undefined, brotrYaml);
    const logger = createLogger({ level: 'silent' });
    await expect(openDatabase(deployment, io, logger, { schema: 'verify', command: 'export' })).rejects.toThrow(
      /invalid database name/,
    );
    // the server it started is stopped (PostgreSQL removes postmaster.pid on shutdown) and its record removed
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(existsSync(serverRecordPath(dataDir))).toBe(false);
  }, 120_000);
});
