/**
 * The composition root: the only module that reads argv, files and environment, and wires every layer.
 * `main` returns the exit code (0 success, 1 failure, 2 usage or configuration error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '../core/redact.js';
import { isServiceName } from '../models/service-state.js';
import { PACKAGE_ROOT } from './deployment.js';
import { EXIT, UsageError } from './errors.js';
import { helpText } from './help.js';
import { type CliIo, println, processIo } from './io.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

async function loadCommand(name: string): Promise<Command | undefined> {
  if (isServiceName(name)) {
    const { runServiceCommand } = await import('./commands/service.js');
    return (argv, io) => runServiceCommand(name, argv, io);
  }
  switch (name) {
    case 'up':
      return (await import('./commands/up.js')).upCommand;
    case 'db':
      return (await import('./commands/db.js')).dbCommand;
    case 'import':
      return (await import('./commands/import.js')).importCommand;
    case 'export':
      return (await import('./commands/export.js')).exportCommand;
    case 'config':
      return (await import('./commands/config.js')).configCommand;
    default:
      return undefined;
  }
}

/** The package version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Run the CLI with `argv` (without node and script) and return the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    println(io.stdout, helpText(rest[0] ?? 'main'));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    println(io.stdout, packageVersion());
    return EXIT.ok;
  }
  try {
    const command = await loadCommand(name);
    if (!command) throw new UsageError(`unknown command '${name}'. Run 'bigbrotr --help' for the list.`);
    if (rest.includes('--help') || rest.includes('-h')) {
      println(io.stdout, helpText(name));
      return EXIT.ok;
    }
    return await command(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** Print an error the way an operator wants to read it, and pick the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const usage = e.name === 'UsageError' || e.name === 'ConfigError';
  println(io.stderr, `bigbrotr: ${redactText(e.message)}`);
  if (!usage && io.env.BIGBROTR_DEBUG) println(io.stderr, redactText(e.stack ?? ''));
  return usage ? EXIT.usage : EXIT.failure;
}
