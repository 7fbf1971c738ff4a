/**
 * The layer rule of the codebase: imports only point down, and services never import each other. From the
 * bottom: models; utils (generic helpers such as deadlines, HTTP, sockets); core (database, config, runner),
 * which may use utils but is never used by them; nips; services. `findLayerViolations` checks a set of source
 * files against it.
 */
import { dirname, join, normalize } from 'node:path';

/** A source file: its path relative to `src/` (forward slashes) and its text. */
export interface SourceFile {
  readonly path: string;
  readonly source: string;
}

/** One import that breaks the rule. */
export interface LayerViolation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  models: ['models'],
  core: ['core', 'utils', 'models'],
  utils: ['utils', 'models'],
  nips: ['nips', 'core', 'utils', 'models'],
  services: ['nips', 'core', 'utils', 'models'],
};

/** The layer of a path under src/: its first folder, or `root` for files directly in src/. */
export function layerOf(path: string): string {
  const first = path.split('/')[0] ?? '';
  return path.includes('/') ? first : 'root';
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** The relative import specifiers of a module's source text. */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

/** Every import among `files` that points up a layer or sideways between services. */
export function findLayerViolations(files: readonly SourceFile[]): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of files) {
    const fromLayer = layerOf(file.path);
    const allowed = ALLOWED[fromLayer];
    if (!allowed) continue; // cli, testing and the package root may import anything
    for (const spec of relativeImports(file.source)) {
      const target = normalize(join(dirname(file.path), spec)).replaceAll('\\', '/');
      if (target.startsWith('..')) {
        violations.push({ from: file.path, to: spec, why: 'imports from outside src/' });
        continue;
      }
      const toLayer = layerOf(target);
      if (!allowed.includes(toLayer) && toLayer !== fromLayer) {
        violations.push({ from: file.path, to: target, why: `${fromLayer} may not import ${toLayer}` });
      } else if (fromLayer === 'services' && toLayer === 'services') {
        const own = file.path.split('/')[1];
        const other = target.split('/')[1];
        if (own !== other) violations.push({ from: file.path, to: target, why: `service ${own} imports ${other}` });
      }
    }
  }
  return violations;
}
