/** What the NIP-77 negentropy tests share: a stored item, nostr-tools' storage of items, set differences. */
import { nip77 } from 'nostr-tools';

/** One stored item: a timestamp and an id (hex). */
export interface Item {
  timestamp: number;
  id: string;
}

/** nostr-tools' sealed storage of `items`. */
export function ntStorage(items: Item[]): nip77.NegentropyStorageVector {
  const storage = new nip77.NegentropyStorageVector();
  for (const item of items) storage.insert(item.timestamp, item.id);
  storage.seal();
  return storage;
}

/** The ids, sorted. */
export const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** The ids of `a` not in `b`, sorted. */
export function setDiff(a: Item[], b: Item[]): string[] {
  const bIds = new Set(b.map((i) => i.id));
  return sorted(a.filter((i) => !bIds.has(i.id)).map((i) => i.id));
}
