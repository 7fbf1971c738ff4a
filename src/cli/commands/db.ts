/** `bigbrotr db init | verify | audit`. */

import type { Db } from '../../core/db/pool.js';
import { verifyDatabase } from '../../core/db/schema.js';
import { COMMON_OPTIONS, parseCommand } from '../args.js';
import { resolveDeployment } from '../deployment.js';
import { EXIT, UsageError } from '../errors.js';
import { type CliIo, println } from '../io.js';
import { commandLogger } from '../logging.js';
import { openDatabase } from '../runtime.js';
import { ROLE_PASSWORD_ENV } from '../service-db.js';
import { auditCommand } from './audit.js';

/** Run `bigbrotr db init`, `bigbrotr db verify` or `bigbrotr db audit`. */
export async function dbCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'audit') return auditCommand(argv.slice(1), io);
  const { values, positionals } = parseCommand('db', argv, COMMON_OPTIONS, true);
  const action = positionals[0];
  if ((action !== 'init' && action !== 'verify') || positionals.length !== 1) {
    throw new UsageError('usage: bigbrotr db init|verify|audit [--deployment DIR]');
  }
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'db');
  await using open = await openDatabase(deployment, io, logger, {
    schema: action === 'init' ? 'init' : 'none',
    command: `db ${action}`,
  });
  if (action === 'init') {
    const set = await setRolePasswords(open.db, io.env);
    println(
      io.stdout,
      `schema of ${deployment.name} applied to ${open.db.target}${set.length ? `; passwords set for ${set.join(', ')}` : ''}`,
    );
  }
  const result = await verifyDatabase(open.db.sql);
  if (result.ok) {
    println(io.stdout, `database ${open.db.target} is complete (${deployment.name})`);
    return EXIT.ok;
  }
  println(io.stdout, `database ${open.db.target} is missing:\n  ${result.missing.join('\n  ')}`);
  return EXIT.failure;
}

/** Set the service roles' passwords from DB_WRITER_PASSWORD, DB_READER_PASSWORD, DB_REFRESHER_PASSWORD, DB_DVM_PASSWORD when given. */
async function setRolePasswords(db: Db, env: CliIo['env']): Promise<string[]> {
  const set: string[] = [];
  for (const [role, variable] of Object.entries(ROLE_PASSWORD_ENV)) {
    const password = env[variable];
    if (!password) continue;
    // ALTER ROLE takes no parameters: the password travels as a transaction-local setting and is quoted by format().
    await db.sql.begin(async (tx) => {
      await tx`SELECT set_config('bigbrotr.role_password', ${password}, true)`;
      await tx.unsafe(
        `DO $$ BEGIN EXECUTE format('ALTER ROLE %I PASSWORD %L', '${role}', current_setting('bigbrotr.role_password')); END $$`,
      );
    });
    set.push(role);
  }
  return set;
}
