// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Compose and config files' own ${VAR} syntax
/**
 * The Grafana dashboard and the Prometheus alert rules of each deployment: every metric in every PromQL
 * expression is one the code or the exporter exports, and each alert has a severity and a runbook section.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  CONTINUOUS,
  DEPLOYMENTS,
  type Deployment,
  dirOf,
  filesUnder,
  type Json,
  read,
  root,
} from '../src/testing/vitest/deployments.js';

// ---- metric names ---------------------------------------------------------------------------------------

type Family = 'gauge' | 'counter';
interface KnownName {
  readonly service: string; // '*' for the runner's base metrics
  readonly family: Family;
  readonly name: string; // `${...}` parts become `x` in a sample and [a-z0-9_]+ in the pattern
}

/** The names each service passes to setGauge / inc (and the finder's gauge helper), from the sources. */
function exportedNames(): KnownName[] {
  const out: KnownName[] = [];
  const sources = [
    ...filesUnder(join(root, 'src', 'services'), (f) => f.endsWith('.ts') && !f.endsWith('.test.ts')),
    join(root, 'src', 'core', 'runner.ts'),
  ];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const service = file.includes('/services/')
      ? (relative(join(root, 'src', 'services'), file).split('/')[0] ?? '')
      : '*';
    const family = (fn: string): Family => (fn === 'inc' ? 'counter' : 'gauge');
    for (const m of text.matchAll(/\b(setGauge|inc|gauge)\(\s*(['`])([a-z][\w${}.'\-(), ]*?)\2/g))
      out.push({ service, family: family(m[1] ?? ''), name: m[3] ?? '' });
    // indirect names: inc(TABLE[key]) with `const TABLE ... = { a: 'name', ... }` in the same file
    for (const m of text.matchAll(/\b(setGauge|inc|gauge)\(\s*([A-Z][A-Z0-9_]*)\[/g)) {
      const table = new RegExp(`const ${m[2]}\\b[^=]*=\\s*\\{([^}]*)\\}`).exec(text)?.[1] ?? '';
      for (const v of table.matchAll(/:\s*'([a-z][a-z0-9_]*)'/g))
        out.push({ service, family: family(m[1] ?? ''), name: v[1] ?? '' });
    }
  }
  return out;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
/** A name as the code writes it (`errors_${name}`) as a regex: each `${...}` part matches [a-z0-9_]+. */
const templateRegex = (name: string) =>
  new RegExp(
    `^${name
      .split(/\$\{[^}]*\}/)
      .map(escapeRegex)
      .join('[a-z0-9_]+')}$`,
  );
const templateSample = (name: string) => name.replace(/\$\{[^}]*\}/g, 'x');

/** True when a `name` matcher (= or =~) of a PromQL selector names only metrics the code exports. */
function nameIsExported(known: KnownName[], op: string, value: string): boolean {
  const alternatives = op === '=~' ? value.split('|') : [value];
  return alternatives.every((alt) => {
    const altRe = new RegExp(`^(?:${op === '=~' ? alt : escapeRegex(alt)})$`);
    return known.some((k) => templateRegex(k.name).test(alt) || altRe.test(templateSample(k.name)));
  });
}

/** Metric names of the exporter's custom queries and their label columns. */
function exporterMetrics(d: Deployment): Map<string, string[]> {
  const queries = parseYaml(read(dirOf(d), 'monitoring', 'postgres-exporter', 'queries.yaml')) as Record<
    string,
    { metrics: Array<Record<string, { usage: string }>> }
  >;
  const out = new Map<string, string[]>([['pg_up', []]]);
  for (const [prefix, q] of Object.entries(queries)) {
    const cols = q.metrics.map((m) => Object.entries(m)[0] as [string, { usage: string }]);
    const labels = cols.filter(([, c]) => c.usage === 'LABEL').map(([n]) => n);
    for (const [col, c] of cols) if (c.usage !== 'LABEL') out.set(`${prefix}_${col}`, labels);
  }
  return out;
}

const PROMQL_WORDS = new Set(
  'sum,min,max,avg,count,topk,bottomk,by,without,on,ignoring,group_left,group_right,and,or,unless,bool,offset,rate,increase,irate,delta,time,histogram_quantile,sort_desc,sort,abs,absent,label_replace,vector,scalar,clamp_min,clamp_max,changes,resets'.split(
    ',',
  ),
);

/** Problems of one PromQL expression: unknown metrics, unknown `name` values, unknown labels. */
function checkExpression(expr: string, known: KnownName[], pg: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const generic = ['job', 'instance', 'deployment'];
  const labelsUsed = new Set<string>();
  const stripped = expr.replace(/\[[^\]]*\]/g, ' ').replace(/"[^"]*"/g, (s) => (s.includes('{') ? '""' : s));
  const selectors = [...stripped.matchAll(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g)];
  const bare = stripped
    .replace(/([a-zA-Z_:][\w:]*)?\s*\{[^}]*\}/g, (_, n) => (n ? ` ${n}{} ` : ' '))
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _w, labels: string) => {
      for (const l of labels.split(',')) if (l.trim()) labelsUsed.add(l.trim());
      return ' ';
    });
  const names = [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((m) => m[1] ?? '')
    .filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n));
  const metricLabels: string[] = [...generic];
  for (const metric of new Set(names)) {
    const sel = selectors.find((s) => s[1] === metric);
    const matchers = [...(sel?.[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
      label: m[1] ?? '',
      op: m[2] ?? '',
      value: m[3] ?? '',
    }));
    let labels: string[];
    if (metric === 'up') labels = [];
    else if (pg.has(metric)) labels = pg.get(metric) ?? [];
    else if (/^cycle_duration_seconds_(bucket|sum|count)$/.test(metric) || metric === 'service_info')
      labels = ['service', ...(metric.endsWith('_bucket') ? ['le'] : [])];
    else if (metric === 'service_gauge' || metric === 'service_counter_total') {
      labels = ['service', 'name'];
      const family: Family = metric === 'service_gauge' ? 'gauge' : 'counter';
      const service = matchers.find((m) => m.label === 'service' && m.op === '=')?.value;
      const candidates = known.filter(
        (k) => k.family === family && (service === undefined || k.service === '*' || k.service === service),
      );
      for (const m of matchers.filter((x) => x.label === 'name' && (x.op === '=' || x.op === '=~')))
        if (!nameIsExported(candidates, m.op, m.value))
          problems.push(`${metric}{service="${service ?? '*'}", name${m.op}"${m.value}"} is not exported by the code`);
    } else {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    for (const m of matchers)
      if (![...labels, ...generic].includes(m.label)) problems.push(`${metric} has no label ${m.label}`);
    metricLabels.push(...labels);
  }
  for (const l of labelsUsed) if (!metricLabels.includes(l)) problems.push(`grouping by unknown label ${l}`);
  return problems;
}

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

describe.each(DEPLOYMENTS)('%s: dashboard and alert rules', (d) => {
  const known = exportedNames();
  const pg = exporterMetrics(d);
  const dashboard = JSON.parse(read(dirOf(d), 'monitoring', 'grafana', 'dashboards', `${d}.json`)) as {
    uid: string;
    panels: Panel[];
  };
  const rules = parseYaml(read(dirOf(d), 'monitoring', 'prometheus', 'rules', 'alerts.yaml')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string; for: string; labels: Json; annotations: Json }> }>;
  };
  const alerts = rules.groups.flatMap((g) => g.rules);
  const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

  it('finds the metric names the services export in the sources', () => {
    const names = (service: string) => known.filter((k) => k.service === service).map((k) => `${k.family}:${k.name}`);
    expect(names('*')).toEqual(expect.arrayContaining(['gauge:consecutive_failures', 'counter:errors_${name}']));
    expect(names('finder')).toContain('gauge:candidates_found_from_events');
    expect(names('refresher')).toContain('gauge:duration_${view}');
    expect(names('dvm')).toContain('counter:requests_answered');
    expect(nameIsExported(known, '=', 'not_a_metric_anywhere')).toBe(false);
    expect(checkExpression('rate(service_counter_total{service="api", name="nope"}[5m])', known, pg)).toHaveLength(1);
    expect(checkExpression('sum by (network) (pg_brotr_relays_count)', known, pg)).toEqual([]);
    expect(checkExpression('pg_stat_activity_count > 80', known, pg)).toEqual([
      'unknown metric pg_stat_activity_count',
    ]);
  });

  it('dashboard: rows for the overview, each service, database health and data overview; every query on the provisioned datasource', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(['Overview', ...CONTINUOUS.map((s) => `Service: ${s}`), 'Database health', 'Data overview']);
    const overview = allPanels.map((p) => p.title);
    for (const t of ['Services up', 'Relays', 'Events (estimate)', 'Database size', 'Relays by network'])
      expect(overview).toContain(t);
    for (const row of dashboard.panels.filter((p) => p.title.startsWith('Service: '))) {
      const titles = (row.panels ?? []).map((p) => p.title);
      expect(titles, row.title).toEqual(
        expect.arrayContaining(['Last cycle age', 'Cycle duration p95', 'Consecutive failures']),
      );
      expect(titles.length, row.title).toBeGreaterThanOrEqual(5);
    }
    const datasource = parseYaml(
      read(dirOf(d), 'monitoring', 'grafana', 'provisioning', 'datasources', 'prometheus.yaml'),
    );
    const uid = (datasource as { datasources: Array<{ uid: string }> }).datasources[0]?.uid;
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allPanels.filter((x) => x.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('dashboard: every metric and name in every PromQL expression is one the code or the exporter exports', () => {
    const exprs = allPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(60);
    const problems = exprs.flatMap(({ where, expr }) => checkExpression(expr, known, pg).map((e) => `${where}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('alert rules: the seven documented ones, every metric exported, each with severity and a runbook section', () => {
    const byName = Object.fromEntries(alerts.map((a) => [a.alert, a]));
    const spec: Array<[string, RegExp, string]> = [
      ['ServiceDown', /^up == 0$/, '5m'],
      ['HighErrorRate', /errors_\.\+.*\[5m\].*> 0\.1$/, '5m'],
      ['ConsecutiveFailures', /consecutive_failures.*>= 5$/, '2m'],
      ['SlowCycles', /histogram_quantile\(0\.99,.*cycle_duration_seconds_bucket.*> 300$/, '5m'],
      ['DatabaseConnectionsHigh', /> 80$/, '5m'],
      ['CacheHitRatioLow', /blks_hit[\s\S]*blks_read[\s\S]*< 0\.95$/, '15m'],
      ['RefresherViewsFailing', /service="refresher", name="views_failed"\} > 0$/, '10m'],
    ];
    for (const [name, expr, forDuration] of spec) {
      expect(byName[name]?.expr.trim(), name).toMatch(expr);
      expect(byName[name]?.for, name).toBe(forDuration);
    }
    const runbook = read(root, 'docs', 'runbook.md');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '')),
    );
    for (const a of alerts) {
      expect(a.labels.severity, a.alert).toMatch(/^(critical|warning|info)$/);
      expect(a.annotations.summary, a.alert).toBeTruthy();
      expect(a.annotations.runbook, a.alert).toBe(`docs/runbook.md#${a.alert.toLowerCase()}`);
      expect(anchors.has(a.alert.toLowerCase()), `runbook section for ${a.alert}`).toBe(true);
      expect(checkExpression(a.expr, known, pg), a.alert).toEqual([]);
    }
  });
});
