/** The monitor's SQL: its per-relay checkpoints (claims and leases are in core/db/relay-leases.ts). */

import type { Sql } from '../../core/db/sql.js';
import { upsertServiceState } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';

/** What the monitor remembers of a relay's last check. */
export interface MonitorCheckpoint {
  readonly url: RelayUrl;
  readonly timestamp: number;
  readonly verdict: string;
  readonly reason?: string;
  /** Capabilities observed vs advertised (NIP-42/45/77), when probed. */
  readonly capabilities?: object;
}

/** Record the checks' time and verdicts (the relays become due again after `discovery.interval`). */
export function setCheckpoints(sql: Sql, checkpoints: readonly MonitorCheckpoint[]): Promise<number> {
  return upsertServiceState(
    sql,
    checkpoints.map(({ url, ...value }) => ({
      serviceName: 'monitor',
      stateType: 'checkpoint',
      stateKey: url,
      stateValue: value,
    })),
  );
}
