/**
 * Relay URLs mentioned by an event: the reference's single-letter-tag rule plus relay hints,
 * `r`/`relay` tags, kind 3 relay maps, kind 2 content and NIP-66 30166 `d` tags of trusted monitors.
 */
import type { NewCandidate } from '../../core/db/candidates.js';
import { MAX_RELAY_URL_LENGTH, parseRelayUrl } from '../../models/relay-url.js';

/** The parts of an archived event the extraction reads; lilbrotr stores no tags or content (null). */
export interface ScannedEvent {
  readonly pubkey: string;
  readonly kind: number;
  readonly tags: unknown;
  readonly content: string | null;
}

/** Options of `extractRelayUrls`: the monitors whose 30166 `d` tags name relays. */
export interface ExtractOpts {
  readonly monitorPubkeys: ReadonlySet<string>;
}

/** Candidates normalised from raw strings, and how many strings were not relay URLs. */
export interface NormalizedCandidates {
  readonly candidates: NewCandidate[];
  readonly invalid: number;
}

const WS_URL = /^wss?:\/\//i;
const HINT_TAGS = new Set(['e', 'p', 'a', 'q']);
const URL_TAGS = new Set(['r', 'relay']);
// why: an untrusted string this long cannot normalise to a relay URL; do not spend regex time on it
const MAX_RAW_LENGTH = MAX_RELAY_URL_LENGTH * 2;

/** The raw relay URL strings an event mentions, deduplicated, in order of appearance. */
export function extractRelayUrls(event: ScannedEvent, opts: ExtractOpts): string[] {
  const found = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v.trim() !== '') found.add(v);
  };
  const isMonitor30166 = event.kind === 30166 && opts.monitorPubkeys.has(event.pubkey);
  if (Array.isArray(event.tags)) {
    for (const tag of event.tags as unknown[]) {
      if (!Array.isArray(tag)) continue;
      const name: unknown = tag[0];
      const value: unknown = tag[1];
      if (typeof name !== 'string') continue;
      if (name.length === 1 && typeof value === 'string' && WS_URL.test(value.trim())) add(value);
      if (HINT_TAGS.has(name)) add(tag[2]);
      if (URL_TAGS.has(name)) add(value);
      if (isMonitor30166 && name === 'd') add(value);
    }
  }
  const content = event.content;
  if (typeof content === 'string') {
    if (event.kind === 2) add(content.trim());
    if (event.kind === 3) for (const key of relayMapKeys(content)) add(key);
  }
  return [...found];
}

/** The keys of a kind 3 content's relay map (NIP-02 legacy); anything but a JSON object gives none. */
function relayMapKeys(content: string): string[] {
  if (!content.trimStart().startsWith('{')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    // why: kind 3 content is free text for most clients; invalid JSON simply names no relays
    return [];
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  return Object.keys(parsed);
}

/** Normalise raw strings to unique candidates, dropping (and counting) the ones that are not relay URLs. */
export function normalizeCandidates(
  raw: Iterable<string>,
  opts: { readonly allowLocal?: boolean } = {},
): NormalizedCandidates {
  const byUrl = new Map<string, NewCandidate>();
  let invalid = 0;
  for (const text of raw) {
    if (text.length > MAX_RAW_LENGTH) {
      invalid += 1;
      continue;
    }
    const parsed = parseRelayUrl(text, opts.allowLocal ? { allowLocal: true } : {});
    if (!parsed.ok) {
      invalid += 1;
      continue;
    }
    if (!byUrl.has(parsed.value.url))
      byUrl.set(parsed.value.url, { url: parsed.value.url, network: parsed.value.network });
  }
  return { candidates: [...byUrl.values()], invalid };
}
