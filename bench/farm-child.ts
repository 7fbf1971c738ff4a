/** Start `farm-process.ts` as a child process and get its relay URLs; dispose to stop it. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A farm running in another process. */
export interface ChildFarm extends AsyncDisposable {
  readonly urls: readonly string[];
}

/** Start a farm of `count` relays in a child process (so its memory is not the client's). */
export async function startChildFarm(opts: {
  count: number;
  eventsPerRelay?: number;
  poolSize?: number;
  info?: object;
}): Promise<ChildFarm> {
  const script = fileURLToPath(new URL('./farm-process.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`farm process exited with ${code}`)));
  });
  const { urls } = JSON.parse(first) as { urls: string[] };
  return {
    urls,
    [Symbol.asyncDispose]: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
