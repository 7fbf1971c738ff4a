/**
 * Where tests write files: a fresh folder under the repository's `.test-artifacts/` (ignored by git), not the
 * system's temporary folder, so screenshots and outputs of a run are found beside the code and removed with it.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's artefacts folder. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../.test-artifacts/', import.meta.url));

/** A new, empty folder under `.test-artifacts/` whose name starts with `prefix`. */
export async function artifactDir(prefix: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return await mkdtemp(join(ARTIFACTS_DIR, prefix));
}

/** `artifactDir` for synchronous callers. */
export function artifactDirSync(prefix: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return mkdtempSync(join(ARTIFACTS_DIR, prefix));
}
