/** Membership in a fixed list of names, as a type guard. */

/** Whether `value` is one of `list` (a list of literal names such as the services or the statistics views). */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return (list as readonly unknown[]).includes(value);
}
