/**
 * Summarise a V8 CPU profile (`node --cpu-prof`): self time per function (name, file:line), the top N, and the
 * share of the process's main thread. Usable as a script: `npx tsx bench/cpuprofile-top.ts FILE.cpuprofile [N]`.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Top self-time functions of a profile, as printable lines. */
export async function topSelf(file: string, n = 15): Promise<string[]> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = profile.endTime - profile.startTime;
  const idle = self.get('(idle)') ?? 0;
  const busy = total - idle;
  const ms = (us: number): string => `${(us / 1000).toFixed(0)} ms`;
  const lines = [`main thread ${ms(total)}, of which idle ${ms(idle)}, busy ${ms(busy)}`];
  const top = [...self.entries()].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]);
  for (const [key, us] of top.slice(0, n))
    lines.push(`  ${ms(us).padStart(8)} ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${key}`);
  return lines;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const dist = path.lastIndexOf('/dist/');
  return dist >= 0 ? path.slice(dist + 1) : path;
}

if (process.argv[1]?.endsWith('cpuprofile-top.ts')) {
  const [file, n] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprofile-top.ts FILE.cpuprofile [N]');
  for (const line of await topSelf(file, Number(n ?? 15))) console.log(line);
}
