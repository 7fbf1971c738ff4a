/** `bigbrotr <service>`: validate the service's config, then run it (services arrive with their issues). */
import { loadConfigFile } from '../../core/config/index.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment, serviceConfigPath } from '../deployment.js';
import { EXIT } from '../errors.js';
import type { ServiceCommand } from '../help.js';
import { type CliIo, println } from '../io.js';
import { SERVICE_SCHEMAS } from '../registry.js';
import { loadBrotrConfig } from '../runtime.js';

const OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, once: { type: 'boolean' } } as const;

/** Run the named service with its command-line options. */
export async function runServiceCommand(name: string, argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(name, argv, OPTIONS);
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  await loadBrotrConfig(deployment, io);
  const schema = SERVICE_SCHEMAS[name as ServiceCommand];
  await loadConfigFile(serviceConfigPath(io.cwd, deployment, name, values.config), schema, { env: io.env });
  println(io.stderr, `bigbrotr: ${name}: not implemented yet (its configuration is valid)`);
  return EXIT.usage;
}
