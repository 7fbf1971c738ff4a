/** `bigbrotr config check`: validate brotr.yaml and every service YAML of a deployment. */
import { existsSync } from 'node:fs';
import { brotrConfigSchema, ConfigError, type ConfigIssue, loadConfigFile } from '../../core/config/index.js';
import { SERVICE_NAMES } from '../../models/service-state.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment, serviceConfigPath } from '../deployment.js';
import { EXIT, UsageError } from '../errors.js';
import { type CliIo, println } from '../io.js';
import { SERVICES } from '../services.js';

/** Run `bigbrotr config check`. */
export async function configCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('config', argv, COMMON_OPTIONS, true);
  if (positionals[0] !== 'check' || positionals.length !== 1)
    throw new UsageError('usage: bigbrotr config check [--deployment DIR]');
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const issues: ConfigIssue[] = [];
  const collect = async (path: string, schema: Parameters<typeof loadConfigFile>[1]): Promise<void> => {
    try {
      await loadConfigFile(path, schema, { env: io.env });
      println(io.stdout, `ok       ${path}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      println(io.stdout, `invalid  ${path}`);
      issues.push(...err.issues);
    }
  };
  await collect(deployment.brotrConfig, brotrConfigSchema);
  for (const service of SERVICE_NAMES) {
    const path = serviceConfigPath(io.cwd, deployment, service);
    if (existsSync(path)) await collect(path, SERVICES[service].schema);
    else println(io.stdout, `missing  ${path} (defaults apply)`);
  }
  if (issues.length === 0) return EXIT.ok;
  throw new ConfigError(issues);
}
