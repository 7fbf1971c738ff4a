import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findLayerViolations, type SourceFile } from './layers.js';

const srcDir = fileURLToPath(new URL('../', import.meta.url));

async function readTree(dir: string): Promise<SourceFile[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'));
  return Promise.all(
    files.map(async (e) => {
      const full = join(e.parentPath, e.name);
      return { path: relative(dir, full).replaceAll('\\', '/'), source: await readFile(full, 'utf8') };
    }),
  );
}

describe('layer rule', () => {
  it('detects imports that point up or sideways', () => {
    const files: SourceFile[] = [
      { path: 'models/a.ts', source: "import { x } from '../core/b.js';" },
      { path: 'core/b.ts', source: "import type { Y } from '../nips/d.js';\nimport { m } from '../utils/c.js';" },
      { path: 'utils/c.ts', source: "export { z } from '../nips/d.js';" },
      { path: 'services/finder/f.ts', source: "import { v } from '../validator/v.js';\nimport '../../nips/d.js';" },
      { path: 'nips/d.ts', source: "const lazy = await import('../services/finder/f.js');" },
      { path: 'utils/e.ts', source: "import '../core/side-effect.js';" },
      { path: 'cli/main.ts', source: "import { f } from '../services/finder/f.js';" },
    ];
    const found = findLayerViolations(files).map((v) => `${v.from} -> ${v.to}`);
    expect(found).toEqual([
      'models/a.ts -> core/b.js',
      'core/b.ts -> nips/d.js',
      'utils/c.ts -> nips/d.js',
      'services/finder/f.ts -> services/validator/v.js',
      'nips/d.ts -> services/finder/f.js',
      'utils/e.ts -> core/side-effect.js',
    ]);
  });

  it('holds for the whole source tree', async () => {
    const files = await readTree(srcDir);
    expect(files.length).toBeGreaterThan(5);
    expect(findLayerViolations(files)).toEqual([]);
  });
});
