#!/bin/sh
# PgBouncer entrypoint of the lilbrotr deployment: write the auth file from the environment, then run
# PgBouncer in the foreground. No password is ever stored in this folder; the file is created at start,
# readable only by PgBouncer's user, inside the container's tmpfs.
#
#   role (user)                          password variable
#   admin                                DB_ADMIN_PASSWORD     (PgBouncer console: SHOW POOLS, ...)
#   ${DB_WRITER_USER:-writer}            DB_WRITER_PASSWORD
#   ${DB_REFRESHER_USER:-refresher}      DB_REFRESHER_PASSWORD
#   ${DB_READER_USER:-reader}            DB_READER_PASSWORD
#   ${DB_DVM_USER:-dvm}                  DB_DVM_PASSWORD
#
# PGBOUNCER_AUTH_FILE overrides the path (it must match auth_file in pgbouncer.ini); arguments replace the
# default command `pgbouncer /etc/pgbouncer/pgbouncer.ini`.
set -eu

auth_file=${PGBOUNCER_AUTH_FILE:-/tmp/pgbouncer/userlist.txt}
umask 077
mkdir -p "$(dirname "$auth_file")"
tmp="$auth_file.tmp"
: >"$tmp"

# PgBouncer's auth file quotes both fields in double quotes; a double quote inside is doubled.
quote() {
  printf '%s' "$1" | sed 's/"/""/g'
}

add_user() {
  user=$1
  variable=$2
  password=$(printenv "$variable" || true)
  if [ -z "$password" ]; then
    echo "pgbouncer entrypoint: $variable is not set (the password of role $user)" >&2
    rm -f "$tmp"
    exit 1
  fi
  printf '"%s" "%s"\n' "$(quote "$user")" "$(quote "$password")" >>"$tmp"
}

add_user admin DB_ADMIN_PASSWORD
add_user "${DB_WRITER_USER:-writer}" DB_WRITER_PASSWORD
add_user "${DB_REFRESHER_USER:-refresher}" DB_REFRESHER_PASSWORD
add_user "${DB_READER_USER:-reader}" DB_READER_PASSWORD
add_user "${DB_DVM_USER:-dvm}" DB_DVM_PASSWORD
mv "$tmp" "$auth_file"
echo "pgbouncer entrypoint: wrote $auth_file (4 roles)" >&2

if [ "$#" -eq 0 ]; then
  set -- pgbouncer /etc/pgbouncer/pgbouncer.ini
fi
exec "$@"
