/** The CLI run in this process (main with a captured io), for the CLI tests. */
import { main } from '../../cli/main.js';
import { captureIo } from '../cli-io.js';

/** The repository's root folder (the package's: tests run from the checkout). */
export { PACKAGE_ROOT as REPO } from '../../cli/deployment.js';

/** Run `bigbrotr argv` with `env`, `stdin` and a stop signal; its exit code and what it printed. */
export async function runCli(
  argv: string[],
  env: Record<string, string> = {},
  stdin = '',
  stop: AbortSignal = new AbortController().signal,
): Promise<{ code: number; out: string; err: string }> {
  const captured = captureIo(env, { stdin, stop });
  const code = await main(argv, captured.io);
  return { code, out: captured.out(), err: captured.err() };
}
