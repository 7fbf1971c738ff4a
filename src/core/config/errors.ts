/** Configuration errors: every problem names its file, the key path and what was expected. */

/** One problem in a config file. */
export interface ConfigIssue {
  readonly file: string;
  /** Dotted key path, e.g. `processing.limit` (empty for the whole file). */
  readonly path: string;
  readonly message: string;
}

/** Raised for a config that cannot be used; the CLI exits 2 and prints the message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.file}: ${i.path || '(file)'}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}
