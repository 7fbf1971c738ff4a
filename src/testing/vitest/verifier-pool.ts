/** One verifier pool (a single thread) for the calling test file: created before its tests, closed after them. */
import { afterAll, beforeAll } from 'vitest';
import { createVerifierPool, type VerifierPool } from '../../utils/verifier/pool.js';

/** Set up the file's pool; call the returned function inside a test (or a hook) to get it. */
export function useVerifierPool(): () => VerifierPool {
  let pool: VerifierPool | undefined;
  beforeAll(() => {
    pool = createVerifierPool({ threads: 1 });
  });
  afterAll(async () => {
    await pool?.close();
  });
  return () => {
    if (!pool) throw new Error('the verifier pool exists only while the file runs');
    return pool;
  };
}
