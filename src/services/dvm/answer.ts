/**
 * Deciding the answer to one job request: check its params against the catalog with the API's query engine,
 * ask for payment when the table's price exceeds the bid, else run the query. Every client mistake (unknown
 * table, bad param, bad filter, a value the database refuses, a timeout) becomes `error` feedback; only
 * infrastructure failures throw.
 */
import type postgres from 'postgres';
import type { Catalog } from '../../core/tables/catalog.js';
import {
  clip,
  type PageOpts,
  parseFilterString,
  parseTableQuery,
  runTableQuery,
  toQueryError,
} from '../../core/tables/query.js';
import type { NostrEvent } from '../../models/event.js';
import type { Refusal } from '../../models/result.js';
import type { EventTemplate } from '../../nips/signer.js';
import { parseJobRequest } from './request.js';
import { buildErrorFeedback, buildPaymentRequired, buildResult } from './responses.js';

/** Most filters one request may combine. */
export const MAX_FILTERS = 16;

/** What the DVM answers. */
export interface Answer {
  readonly outcome: 'result' | 'error' | 'payment-required';
  readonly template: EventTemplate;
  /** The error code of `error` answers. */
  readonly code?: string;
}

/** What answering needs. */
export interface AnswerOpts {
  readonly sql: postgres.Sql;
  readonly now: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly pageSize: PageOpts;
  readonly maxResultBytes: number;
}

/** Build the answer to one job request (the query runs read-only, under a statement timeout). */
export async function answerRequest(request: NostrEvent, catalog: Catalog, opts: AnswerOpts): Promise<Answer> {
  const error = (e: Refusal): Answer => ({
    outcome: 'error',
    code: e.code,
    template: buildErrorFeedback(request, e, opts.now),
  });
  const parsed = parseJobRequest(request);
  if (!parsed.ok) return error(parsed.error);
  const { params, bid } = parsed.value;
  const table = catalog.tables.get(params.table);
  if (!table) {
    return error({ code: 'unknown_table', message: `table "${clip(params.table)}" is not available` });
  }
  const filters = params.filter === undefined ? { ok: true as const, value: [] } : parseFilterString(params.filter);
  if (!filters.ok) return error(filters.error);
  if (filters.value.length > MAX_FILTERS) {
    return error({ code: 'too_many_filters', message: `at most ${MAX_FILTERS} filters` });
  }
  const query = parseTableQuery(
    table,
    { limit: params.limit, offset: params.offset, sort: params.sort, filters: filters.value },
    opts.pageSize,
  );
  if (!query.ok) return error(query.error);
  if (table.price > 0 && (bid === undefined || bid < table.price)) {
    return { outcome: 'payment-required', template: buildPaymentRequired(request, table.name, table.price, opts.now) };
  }
  try {
    const page = await runTableQuery(opts.sql, table, query.value, { signal: opts.signal, timeoutMs: opts.timeoutMs });
    const template = buildResult(request, page, table.price, { now: opts.now, maxBytes: opts.maxResultBytes });
    return { outcome: 'result', template };
  } catch (err) {
    const mapped = opts.signal.aborted ? undefined : toQueryError(err);
    if (!mapped) throw err;
    return error(mapped);
  }
}
