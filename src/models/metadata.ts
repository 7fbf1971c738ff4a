/** Content-addressed metadata documents and their time series. */
import { type CanonicalOpts, canonicalJson, sha256Hex } from './canonical-json.js';
import type { Relay } from './relay.js';

/** The kinds of metadata a monitor stores. */
export type MetadataType =
  | 'nip11_info'
  | 'nip66_rtt'
  | 'nip66_ssl'
  | 'nip66_geo'
  | 'nip66_net'
  | 'nip66_dns'
  | 'nip66_http';

/** Every metadata type. */
export const METADATA_TYPES: readonly MetadataType[] = [
  'nip11_info',
  'nip66_rtt',
  'nip66_ssl',
  'nip66_geo',
  'nip66_net',
  'nip66_dns',
  'nip66_http',
];

/** A stored document: `id` is the hex SHA-256 of `json`, the canonical JSON of the document. */
export interface Metadata {
  readonly id: string;
  readonly type: MetadataType;
  /** Canonical JSON text, exactly the bytes hashed into `id`. */
  readonly json: string;
}

/** A metadata document observed for a relay at a time: one `relay_metadata` row (plus its parents). */
export interface RelayMetadata {
  readonly relay: Relay;
  readonly metadata: Metadata;
  /** Seconds since the epoch. */
  readonly generatedAt: number;
}

/** Build a content-addressed document from a JS value (`floatKeys` name the fields that are floats). */
export function buildMetadata(type: MetadataType, value: unknown, opts: CanonicalOpts = {}): Metadata {
  const json = canonicalJson(value, opts);
  return { id: sha256Hex(json), type, json };
}
