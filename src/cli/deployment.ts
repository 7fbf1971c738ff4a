/** Locating a deployment folder and its config files. */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

/** The package's own folder (two levels above dist/cli or src/cli). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A deployment folder and the paths of its parts. */
export interface DeploymentPaths {
  readonly dir: string;
  /** The folder's name, e.g. bigbrotr or lilbrotr. */
  readonly name: string;
  readonly brotrConfig: string;
  readonly servicesDir: string;
  readonly initSqlDir: string;
}

/** Resolve `--deployment` (or the default: ./deployments/bigbrotr, else the packaged one). */
export function resolveDeployment(cwd: string, option: string | undefined, brotrConfig?: string): DeploymentPaths {
  const local = join(cwd, 'deployments', 'bigbrotr');
  const dir = option ? resolve(cwd, option) : existsSync(local) ? local : join(PACKAGE_ROOT, 'deployments', 'bigbrotr');
  if (!existsSync(dir)) throw new UsageError(`deployment folder not found: ${dir}`);
  return {
    dir,
    name: basename(dir),
    brotrConfig: brotrConfig ? resolve(cwd, brotrConfig) : join(dir, 'config', 'brotr.yaml'),
    servicesDir: join(dir, 'config', 'services'),
    initSqlDir: join(dir, 'postgres', 'init'),
  };
}

/** The config file of a service in a deployment, or the `--config` override. */
export function serviceConfigPath(cwd: string, deployment: DeploymentPaths, service: string, option?: string): string {
  return option ? resolve(cwd, option) : join(deployment.servicesDir, `${service}.yaml`);
}
