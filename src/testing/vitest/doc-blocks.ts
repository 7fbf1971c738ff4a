/**
 * The shell examples of docs/, read from the markdown for the tests that run them (docs-*.test.ts). A block the
 * tests cannot run here carries, on the line before its fence, `<!-- not run by the tests: <reason> -->`; every
 * other `sh` block must be run by the test of its document (DOC_RUNNERS), and docs-marked.test.ts refuses one that
 * is neither.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT as REPO } from '../../cli/deployment.js';

/** The repository's root folder (the package's). */
export { REPO };

const DOCS = join(REPO, 'docs');

/** The test file that runs the unmarked `sh` blocks of each document (paths relative to docs/). */
export const DOC_RUNNERS: Readonly<Record<string, string>> = {
  'api.md': 'src/cli/docs-examples.test.ts',
  'dvm.md': 'src/cli/docs-examples.test.ts',
  'operations.md': 'src/cli/docs-operations.test.ts',
  'deployment.md': 'src/cli/docs-operations.test.ts',
};

/** One fenced block: its document, first line number, language, text, and the reason it is not run (if marked). */
export interface DocBlock {
  readonly doc: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  readonly notRun?: string;
}

const MARKER = /^<!-- not run by the tests: (.+?) -->$/;

/** Every markdown file under docs/, relative to it. */
export function docFiles(dir = DOCS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return docFiles(join(dir, e.name));
    return e.name.endsWith('.md') ? [relative(DOCS, join(dir, e.name))] : [];
  });
}

/** The fenced blocks of docs/`doc` (of language `lang` when given). */
export function docBlocks(doc: string, lang?: string): DocBlock[] {
  const lines = readFileSync(join(DOCS, doc), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`docs/${doc}:${i + 1}: unclosed fence`);
    const notRun = MARKER.exec(lines[i - 1] ?? '')?.[1];
    const block = { doc, line: i + 1, lang: open[1] ?? '', text: `${lines.slice(i + 1, end).join('\n')}\n` };
    blocks.push(notRun === undefined ? block : { ...block, notRun });
    i = end;
  }
  return lang === undefined ? blocks : blocks.filter((b) => b.lang === lang);
}

/** The `sh` blocks of `doc` the tests must run (the unmarked ones). */
export function runnableBlocks(doc: string): DocBlock[] {
  return docBlocks(doc, 'sh').filter((b) => b.notRun === undefined);
}

/** The command lines of a block (comments and blank lines dropped, `<name>` placeholders filled from `values`). */
export function commandLines(block: string, values: Record<string, string> = {}): string[] {
  return block.split('\n').flatMap((raw) => {
    const line = raw.replace(/<([a-z-]+)>/g, (m, k: string) => values[k] ?? m);
    return line.trim() === '' || line.trim().startsWith('#') ? [] : [line];
  });
}

/**
 * A bash script running every command line of a block with `set -euo pipefail`; curl fails on an HTTP error, and a
 * line ending in `# <text>` must print exactly that text.
 */
export function script(block: string, values: Record<string, string>): { text: string; commands: number } {
  const lines = commandLines(block, values).map((line) => {
    const expected = /\s#\s+(\S.*)$/.exec(line)?.[1];
    const cmd = expected === undefined ? line : line.slice(0, line.lastIndexOf('#')).trimEnd();
    const quoted = JSON.stringify(line).replaceAll('$', '\\$').replaceAll('`', '\\`');
    if (expected === undefined) return `${cmd} > /dev/null || { echo ${quoted} >&2; exit 1; }`;
    return `out=$(${cmd}); [ "$out" = ${JSON.stringify(expected)} ] || { echo "$out: "${quoted} >&2; exit 1; }`;
  });
  const text = ['set -euo pipefail', 'curl() { command curl --fail-with-body --max-time 20 "$@"; }', ...lines];
  return { text: text.join('\n'), commands: lines.length };
}

/**
 * A bash prelude in which `npx bigbrotr …` runs this checkout's CLI from source (what `npx bigbrotr` runs after
 * `npm ci`; the npx wrapper itself is tested in src/cli/wrapper.test.ts). Any other `npx` command is refused.
 */
export function cliPrelude(): string {
  const entry = JSON.stringify(join(REPO, 'src/testing/cli-entry.ts'));
  const tsx = JSON.stringify(join(REPO, 'node_modules/tsx/dist/loader.mjs'));
  return [
    'npx() {',
    '  [ "$1" = bigbrotr ] || { echo "npx $1: the examples run only bigbrotr" >&2; return 127; }',
    `  shift; node --import ${tsx} ${entry} "$@"`,
    '}',
  ].join('\n');
}
