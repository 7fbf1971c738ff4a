/** The machine a benchmark ran on: cores, memory, Node, PostgreSQL (when a database URL is given). */
import { cpus, totalmem } from 'node:os';
import postgres from 'postgres';

/** One line describing the machine. */
export async function machineInfo(databaseUrl?: string): Promise<string> {
  const cpu = cpus();
  const parts = [
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'})`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `Node ${process.version}`,
  ];
  if (databaseUrl) {
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ v: string }[]>`SHOW server_version`;
    parts.push(`PostgreSQL ${row?.v ?? '?'}`);
    await sql.end();
  }
  return parts.join(', ');
}
