/** The monitor's own events: profile (kind 0), relay list (10002) and NIP-66 announcement (10166). */
import { enabledNetworks } from '../../core/config/service.js';
import type { MetadataType } from '../../models/metadata.js';
import type { EventTemplate } from '../../nips/signer.js';
import type { MonitorConfig } from './config.js';

/** NIP-66 check names of each metadata type (rtt contributes three). */
const CHECK_NAMES: Readonly<Record<MetadataType, readonly string[]>> = {
  nip11_info: ['nip11'],
  nip66_rtt: ['open', 'read', 'write'],
  nip66_ssl: ['ssl'],
  nip66_dns: ['dns'],
  nip66_geo: ['geo'],
  nip66_net: ['net'],
  nip66_http: ['http'],
};

/** Kind 0: the non-empty profile fields as JSON content. */
export function buildProfile(p: MonitorConfig['profile'], createdAt: number): EventTemplate {
  const fields = {
    name: p.name,
    about: p.about,
    picture: p.picture,
    nip05: p.nip05,
    website: p.website,
    banner: p.banner,
    lud16: p.lud16,
  };
  const content = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
  return { kind: 0, created_at: createdAt, tags: [], content: JSON.stringify(content) };
}

/** Kind 10002: every publishing relay as a write relay. */
export function buildRelayList(relays: readonly string[], createdAt: number): EventTemplate {
  return { kind: 10002, created_at: createdAt, tags: relays.map((r) => ['r', r, 'write']), content: '' };
}

/** Kind 10166: frequency, the enabled networks, and a timeout + `c` tag per included check. */
export function buildAnnouncement(config: MonitorConfig, createdAt: number): EventTemplate {
  const networks = enabledNetworks(config.networks);
  const timeoutMs = String(config.networks.clearnet.timeout * 1000);
  const checks = (Object.keys(CHECK_NAMES) as MetadataType[])
    .filter((t) => config.discovery.include[t])
    .flatMap((t) => CHECK_NAMES[t]);
  return {
    kind: 10166,
    created_at: createdAt,
    tags: [
      ['frequency', String(config.discovery.interval)],
      ...networks.map((n) => ['n', n]),
      ...checks.flatMap((c) => [
        ['timeout', c, timeoutMs],
        ['c', c],
      ]),
    ],
    content: '',
  };
}
