/** The finder's collaborators: the service deps plus an injectable HTTP client, clocks and local-network switches. */
import type { ServiceDeps } from '../../core/service-deps.js';
import type { fetchBounded } from '../../utils/http.js';

/** What `createFinder` receives. */
export interface FinderDeps extends ServiceDeps {
  /** The bounded HTTP GET used for API sources (default `fetchBounded`). */
  readonly fetch?: typeof fetchBounded;
  /** API sources on loopback or LAN addresses may be fetched (tests; default false). */
  readonly allowLocal?: boolean;
  /** Relay URLs on loopback or LAN hosts become candidates (the `local` network enabled; default false). */
  readonly allowLocalRelays?: boolean;
  /** Milliseconds of the wall clock for the event phase's time budgets (default `Date.now`). */
  readonly clockMs?: () => number;
}

/** Store options from the deps' batch size. */
export function storeOpts(deps: Pick<FinderDeps, 'batchSize'>): { batchSize?: number } {
  return deps.batchSize ? { batchSize: deps.batchSize } : {};
}
