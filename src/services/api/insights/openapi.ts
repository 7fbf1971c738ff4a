/** OpenAPI path items of the insight endpoints, for the API's generated document (`extra.openapiPaths`). */
import { NETWORKS } from '../../../models/network.js';
import { MAX_LIST } from './events.js';
import { RELAY_SORTS } from './relays.js';

const q = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const int = { type: 'integer', minimum: 0 };
const answers = (summary: string, description: string) => ({
  '200': { description: summary, content: { 'application/json': { schema: { type: 'object' } } } },
  '400': { description: 'invalid parameter: {"error": {code, message}}' },
  '503': { description: 'database unreachable' },
  '504': { description: 'the query did not finish in time' },
  ...(description ? { '404': { description } } : {}),
});

/** The path items, keyed by `{prefix}/…`. */
export function insightOpenApiPaths(prefix: string): Record<string, unknown> {
  return {
    [`${prefix}/relays`]: {
      get: {
        summary: 'Relays with their latest status',
        tags: ['insights'],
        parameters: [
          q('network', 'only this network', { type: 'string', enum: NETWORKS }),
          q('nip', 'only relays whose NIP-11 lists this NIP', int),
          q('software', 'substring of the NIP-11 software, case-insensitive'),
          q('country', 'two-letter country code from the geo check'),
          q('q', 'substring of the URL or the NIP-11 name, case-insensitive'),
          q('status', 'newest RTT check', { type: 'string', enum: ['online', 'offline', 'unchecked'] }),
          q('sort', `one of ${RELAY_SORTS.join(', ')}, optionally :asc or :desc`),
          q('limit', 'page size (clamped to the maximum)', int),
          q('offset', 'rows to skip', int),
        ],
        responses: answers('`{"data": [...], "meta": {total, limit, offset}}`', ''),
      },
    },
    [`${prefix}/relays/{url}`]: {
      get: {
        summary: 'One relay: latest documents, uptime and latency over 24h/7d/30d, daily series, RTT history',
        tags: ['insights'],
        parameters: [
          {
            name: 'url',
            in: 'path',
            required: true,
            description: 'the relay URL, percent-encoded',
            schema: { type: 'string' },
          },
          q('limit', 'RTT checks per page', int),
          q('before', "only checks generated before this time (the previous page's meta.checks.next_before)", int),
        ],
        responses: answers('`{"data": {...}, "meta": {checks: {limit, next_before}}}`', 'no relay with that URL'),
      },
    },
    [`${prefix}/stats`]: {
      get: {
        summary: 'Network statistics: relays by network and status, event totals, events per day, software and NIPs',
        tags: ['insights'],
        parameters: [q('days', 'days of the events-per-day series (1–366, default 30)', int)],
        responses: answers('`{"data": {...}, "meta": {days, generated_at}}`', ''),
      },
    },
    [`${prefix}/pipeline`]: {
      get: {
        summary:
          'What each pipeline stage is doing: candidates waiting and failing by reason, relays promoted, monitored ' +
          "and synchronized (incomplete ones with their reason, kinds withheld), each service's last cycle",
        tags: ['insights'],
        parameters: [],
        responses: answers(
          '`{"data": {candidates, relays, monitor, synchronizer, services}, "meta": {generated_at}}`',
          '',
        ),
      },
    },
    [`${prefix}/events`]: {
      get: {
        summary: 'Events matching a NIP-01 filter, newest first, with the relays they were seen on',
        tags: ['insights'],
        parameters: [
          q('ids', `comma-separated event ids (hex, at most ${MAX_LIST})`),
          q('authors', `comma-separated pubkeys (hex, at most ${MAX_LIST})`),
          q('kinds', 'comma-separated kinds'),
          q('#e', 'tag filter (any one-letter tag; `#` percent-encoded as %23): comma-separated or a JSON array'),
          q('since', 'created_at ≥ since', int),
          q('until', 'created_at ≤ until (with before_id: the cursor)', int),
          q('before_id', 'cursor tie-break: events at `until` with a smaller id (meta.next.before_id)'),
          q('limit', 'page size (clamped to the maximum)', int),
        ],
        responses: answers('`{"data": [{event, seen_on}], "meta": {limit, count, next}}`', ''),
      },
    },
  };
}
