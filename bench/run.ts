/**
 * Runs the benchmarks: `npm run bench` (all) or `npm run bench -- verify import` (some). Each
 * `bench/<name>.bench.ts` exports a default async function returning result lines. Benchmarks that need a
 * database use BIGBROTR_BENCH_DATABASE_URL (an admin URL), else the embedded PostgreSQL.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './machine.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace('.bench.ts', ''))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

console.log(`machine: ${await machineInfo()}`);
for (const name of names) {
  const mod = (await import(`./${name}.bench.ts`)) as { default: () => Promise<string[]> };
  console.log(`\n## ${name}`);
  for (const line of await mod.default()) console.log(line);
}
process.exit(0);
