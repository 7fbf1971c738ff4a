/** Loading YAML config files: `${VAR}` / `${VAR:-default}` interpolation, parsing, strict validation. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';

/** The environment a config is interpolated from (injected: core never reads process.env). */
export type Env = Readonly<Record<string, string | undefined>>;

const VAR = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${VAR}` and `${VAR:-default}` in the raw text (before YAML parsing, so `port: ${DB_PORT:-5432}`
 * becomes a number); `$$` writes a literal `$`. A missing variable without a default is an error.
 */
export function interpolate(text: string, env: Env, file: string): string {
  const missing: ConfigIssue[] = [];
  const out = text.replace(VAR, (whole, name: string | undefined, def: string | undefined) => {
    if (whole === '$$') return '$';
    const value = name === undefined ? undefined : env[name];
    if (value !== undefined && value !== '') return value;
    if (def !== undefined) return def;
    missing.push({ file, path: '', message: `environment variable ${name} is not set and has no default` });
    return '';
  });
  if (missing.length) throw new ConfigError(missing);
  return out;
}

/** Validate an already-parsed value against a schema; problems become a ConfigError naming file and key. */
export function validateConfig<S extends z.ZodType>(value: unknown, schema: S, file: string): z.output<S> {
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
        return { file, path: keys.join(', '), message: 'unknown key (check the spelling)' };
      }
      const got = 'input' in issue ? shownInput(issue.input) : '';
      return { file, path, message: `${issue.message}${got}` };
    }),
  );
}

/** Parse YAML text (after interpolation) and validate it. */
export function parseConfigText<S extends z.ZodType>(text: string, schema: S, file: string, env: Env): z.output<S> {
  let value: unknown;
  try {
    value = parseYaml(interpolate(text, env, file));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const line = err instanceof YAMLParseError ? ` at line ${err.linePos?.[0]?.line ?? '?'}` : '';
    throw new ConfigError([
      { file, path: '', message: `YAML syntax error${line}: ${(err as Error).message.split('\n')[0]}` },
    ]);
  }
  return validateConfig(value, schema, file);
}

/** Read, interpolate, parse and validate a config file. A missing file is an error naming it. */
export async function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: { env: Env; missingAsEmpty?: boolean },
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // a file whose absence means "every default" (api.yaml: loopback, the reader role, no tables)
    if (opts.missingAsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT')
      return parseConfigText('', schema, path, opts.env);
    throw new ConfigError([
      { file: path, path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? err}` },
    ]);
  }
  return parseConfigText(text, schema, path, opts.env);
}

/**
 * The offending value, when it helps: a scalar or a short list. A whole section (what a cross-field check
 * receives) is never echoed: the error names the key instead of dumping the resolved config.
 */
function shownInput(input: unknown): string {
  if (input === undefined) return '';
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return '';
  const text = JSON.stringify(input);
  return text.length <= 120 ? ` (got ${text})` : ` (got ${text.slice(0, 117)}...)`;
}
