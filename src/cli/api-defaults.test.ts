/** A deployment without api.yaml, or with an empty one, serves the API with safe defaults. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brotrConfigSchema } from '../core/config/index.js';
import { loadConfigFile } from '../core/config/load.js';
import { apiConfigSchema } from '../services/api/config.js';
import { artifactDir } from '../testing/artifacts.js';
import { serviceConnection } from './service-db.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('api.yaml missing or empty', () => {
  it('binds to 127.0.0.1, serves no table, and connects as the reader role', async () => {
    dir = await artifactDir('bb-api-yaml-');
    const empty = join(dir, 'api.yaml');
    await writeFile(empty, '');
    for (const path of [empty, join(dir, 'missing.yaml')]) {
      const config = await loadConfigFile(path, apiConfigSchema, { env: {}, missingAsEmpty: true });
      expect(config.host).toBe('127.0.0.1');
      expect(Object.values(config.tables).filter((t) => t.enabled)).toEqual([]);
      expect(serviceConnection(brotrConfigSchema.parse({}), config.pool, 'api').user).toBe('reader');
    }
    await expect(loadConfigFile(join(dir, 'missing.yaml'), apiConfigSchema, { env: {} })).rejects.toThrow(
      /cannot read the file/,
    );
  });
});
