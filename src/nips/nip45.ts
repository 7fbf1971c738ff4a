/** NIP-45 COUNT as a client. */
import { fail, ok } from '../models/result.js';
import { withDeadline } from '../utils/deadline.js';
import type { ProbeResult } from '../utils/net/reasons.js';
import type { RelayConnection } from './nip01/connection.js';
import type { Filter } from './nip01/filter.js';
import { reasonOfRefusal } from './nip01/messages.js';

/** A relay's count. */
export interface CountAnswer {
  readonly count: number;
  readonly approximate: boolean;
}

/** Options of `countEvents`: a deadline (default 10 s). */
export interface CountOpts {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Ask the relay how many events match `filters`. */
export function countEvents(
  conn: RelayConnection,
  filters: readonly Filter[],
  opts: CountOpts = {},
): Promise<ProbeResult<CountAnswer>> {
  const deadline = withDeadline(opts.timeoutMs ?? 10_000, opts.signal);
  const signal = deadline.signal;
  const subId = conn.nextSubId('count');
  return new Promise((resolve) => {
    const done = (r: ProbeResult<CountAnswer>): void => {
      deadline.clear();
      signal.removeEventListener('abort', onAbort);
      conn.unroute(subId);
      resolve(r);
    };
    const onAbort = (): void => done(fail('timeout', 'no COUNT answer before the deadline'));
    signal.addEventListener('abort', onAbort, { once: true });
    conn.route(subId, {
      message(msg) {
        if (msg.type === 'COUNT') done(ok({ count: msg.count, approximate: msg.approximate }));
        else if (msg.type === 'CLOSED')
          done(fail(reasonOfRefusal(msg.message), `CLOSED: ${msg.message.slice(0, 200)}`));
        else conn.stats.unknownSubscription += 1;
      },
      closed: (reason, detail) => done(fail(reason, detail)),
    });
    if (signal.aborted) onAbort();
    else conn.send(['COUNT', subId, ...filters]);
  });
}
