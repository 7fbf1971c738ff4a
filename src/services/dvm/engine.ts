/**
 * The one seam between the DVM and the table query engine it shares with the REST API ("the same
 * query engine as the API"). The engine lives in services/api/tables today; when it moves to a shared layer,
 * only this file changes.
 */
export { type Catalog, loadCatalog } from '../../core/tables/catalog.js';
export {
  clip,
  type PageOpts,
  parseFilterString,
  parseTableQuery,
  runTableQuery,
  type TablePage,
  toQueryError,
} from '../../core/tables/query.js';
