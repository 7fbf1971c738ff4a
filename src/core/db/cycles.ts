/**
 * Each service's last cycle, for the dashboard's pipeline panel: the service_state row
 * `(<service>, cycle, last) = {started_at, ended_at, outcome: 'ok' | 'failed', error?}`, replaced after every cycle.
 */
import type { ServiceName } from '../../models/service-state.js';
import type { CycleRecord } from '../runner.js';
import type { Sql } from './sql.js';
import { upsertServiceState } from './store.js';

/** Replace `service`'s last-cycle row with `record`. */
export async function recordLastCycle(sql: Sql, service: ServiceName, record: CycleRecord): Promise<void> {
  await upsertServiceState(sql, [
    { serviceName: service, stateType: 'cycle', stateKey: 'last', stateValue: { ...record } },
  ]);
}
