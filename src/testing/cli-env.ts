/** The environment that points a CLI process at an external PostgreSQL, from an admin connection URL. */
import { ROLE_PASSWORD_ENV } from '../cli/service-db.js';

/**
 * DB_* variables for `url`: the embedded server off, the URL's user playing the admin and the writer role, and the
 * URL's password for every service role (services connect as their own role, `pool:` in their YAML). On the
 * embedded test server every role has the superuser's password (`TestServer.prepareRoles`); a trust-auth server
 * ignores them.
 */
export function cliDatabaseEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const rolePasswords = Object.fromEntries(Object.values(ROLE_PASSWORD_ENV).map((name) => [name, password]));
  return {
    DB_EMBEDDED: 'false',
    DB_HOST: u.hostname,
    DB_PORT: u.port || '5432',
    DB_NAME: u.pathname.slice(1),
    DB_USER: user,
    DB_ADMIN_PASSWORD: password,
    DB_WRITER_USER: user,
    ...rolePasswords,
  };
}
