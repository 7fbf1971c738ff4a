/** Small zod builders shared by every config schema: strict objects whose defaults are parsed too. */
import { z } from 'zod';

/** An integer in [min, max] with a default. */
export const int = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);
/** A number in [min, max] with a default. */
export const num = (min: number, max: number, def: number) => z.number().min(min).max(max).default(def);
/** A boolean with a default. */
export const bool = (def: boolean) => z.boolean().default(def);
/** A non-empty string with a default. */
export const str = (def: string) => z.string().min(1).default(def);
/** A strict object (unknown keys are errors) that is filled from its fields' defaults when absent. */
export const section = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape).prefault({} as z.input<z.ZodObject<T, z.core.$strict>>);
/** The name of an environment variable (never the secret itself). */
export const envName = (def: string) =>
  z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, e.g. DB_WRITER_PASSWORD')
    .default(def);
/** A SQL identifier. */
export const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier');
