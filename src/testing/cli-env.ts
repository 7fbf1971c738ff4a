/** The environment that points a CLI process at an external PostgreSQL, from an admin connection URL. */

/**
 * DB_* variables for `url`: the embedded server off, and the URL's user playing the admin and the writer role
 * (services connect as their own role, `pool:` in their YAML; a test server's admin plays every role).
 */
export function cliDatabaseEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  return {
    DB_EMBEDDED: 'false',
    DB_HOST: u.hostname,
    DB_PORT: u.port || '5432',
    DB_NAME: u.pathname.slice(1),
    DB_USER: user,
    DB_ADMIN_PASSWORD: password,
    DB_WRITER_USER: user,
    DB_WRITER_PASSWORD: password,
  };
}
