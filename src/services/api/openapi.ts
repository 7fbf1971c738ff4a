/**
 * The OpenAPI 3.1 document of the API, generated from the current catalog: one path per served table with its
 * columns as filter parameters, one per key lookup, the schema endpoints and /health. Served at
 * `{prefix}/openapi.json`; `/docs` renders it (docs.ts).
 */
import type { Catalog, ColumnInfo, TableInfo } from '../../core/tables/catalog.js';
import { FILTER_OPS, MAX_OFFSET, type PageOpts } from '../../core/tables/query.js';
import { classifyType } from '../../core/tables/values.js';

/** An OpenAPI document (plain JSON). */
export type OpenApiDocument = Record<string, unknown> & { readonly paths: Record<string, unknown> };

/** What the document describes besides the catalog. */
export interface OpenApiOpts extends PageOpts {
  readonly title: string;
  readonly version: string;
  readonly prefix: string;
  /** More path items (e.g. the purpose-built endpoints mounted by the composition root). */
  readonly extraPaths?: Record<string, unknown>;
}

const ok = { description: 'OK' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errors = {
  400: { description: 'Bad request (unknown column, wrong-typed value, bad pagination…)', content: json(ref('Error')) },
  404: { description: 'Unknown table or row', content: json(ref('Error')) },
  429: {
    description: 'Rate limited; see Retry-After',
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
    content: json(ref('Error')),
  },
  504: { description: 'The query took too long', content: json(ref('Error')) },
};

/** The JSON Schema of a column's values as the API returns them. */
export function columnSchema(col: ColumnInfo): Record<string, unknown> {
  const base = baseSchema(col);
  if (!col.nullable || base.type === undefined) return base;
  return { ...base, type: [base.type, 'null'] };
}

function baseSchema(col: ColumnInfo): Record<string, unknown> {
  const described = { description: col.type };
  switch (classifyType(col.type)) {
    case 'int':
      return { type: 'integer', ...(col.type === 'bigint' ? { format: 'int64' } : {}), ...described };
    case 'numeric':
      return { type: 'number', ...described };
    case 'bool':
      return { type: 'boolean', ...described };
    case 'bytea':
      return { type: 'string', pattern: '^([0-9a-f]{2})*$', description: 'bytea as lowercase hex' };
    case 'jsonb':
    case 'json':
      return described;
    case 'text-array':
      return { type: 'array', items: { type: 'string' }, ...described };
    default:
      return { type: 'string', ...described };
  }
}

function filterParam(col: ColumnInfo) {
  const cls = classifyType(col.type);
  const text =
    cls === 'text-array'
      ? 'rows whose array contains this element'
      : `value, or <op>:value with op one of ${FILTER_OPS.filter((o) => o !== 'ILIKE' || cls === 'text').join(' ')}`;
  return {
    name: col.name,
    in: 'query',
    required: false,
    description: `Filter on ${col.name} (${col.type}${cls === 'bytea' ? ', hex' : ''}): ${text}`,
    schema: { type: 'string' },
  };
}

function listPath(t: TableInfo, o: OpenApiOpts) {
  const sortable = t.columns.filter((c) => classifyType(c.type) !== 'json').map((c) => c.name);
  return {
    get: {
      summary: `List ${t.name} (${t.kind})`,
      tags: ['tables'],
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, default: o.defaultPageSize } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 } },
        {
          name: 'sort',
          in: 'query',
          description: `column[:asc|desc], column one of ${sortable.join(', ')}`,
          schema: { type: 'string' },
        },
        ...t.columns.filter((c) => !['limit', 'offset', 'sort'].includes(c.name)).map(filterParam),
      ],
      responses: {
        200: {
          description: `A page of ${t.name} (limit is capped at ${o.maxPageSize})`,
          content: json({
            type: 'object',
            properties: { data: { type: 'array', items: ref(`row_${t.name}`) }, meta: ref('Meta') },
          }),
        },
        ...errors,
      },
    },
  };
}

function keyPath(t: TableInfo) {
  return {
    get: {
      summary: `One ${t.name} row by ${t.primaryKey.join(', ')}`,
      tags: ['tables'],
      parameters: t.primaryKey.map((k) => ({ name: k, in: 'path', required: true, schema: { type: 'string' } })),
      responses: {
        200: { description: 'The row', content: json({ type: 'object', properties: { data: ref(`row_${t.name}`) } }) },
        ...errors,
      },
    },
  };
}

/** Build the document for the tables of `catalog`. */
export function buildOpenApi(catalog: Catalog, o: OpenApiOpts): OpenApiDocument {
  const paths: Record<string, unknown> = {
    '/health': { get: { summary: 'Liveness and database reachability', responses: { 200: { description: 'OK' } } } },
    [`${o.prefix}/schema`]: { get: { summary: 'The tables served', tags: ['schema'], responses: { 200: ok } } },
    [`${o.prefix}/schema/{table}`]: {
      get: {
        summary: 'One table: columns, types, key',
        tags: ['schema'],
        parameters: [{ name: 'table', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: ok, 404: errors[404] },
      },
    },
  };
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
    },
    Meta: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        limit: { type: 'integer' },
        offset: { type: 'integer' },
        table: { type: 'string' },
        total_exact: { type: 'boolean', description: 'false when the count stopped at its cap' },
      },
    },
  };
  for (const t of catalog.tables.values()) {
    paths[`${o.prefix}/${t.name}`] = listPath(t, o);
    if (t.primaryKey.length > 0)
      paths[`${o.prefix}/${t.name}/${t.primaryKey.map((k) => `{${k}}`).join('/')}`] = keyPath(t);
    schemas[`row_${t.name}`] = {
      type: 'object',
      properties: Object.fromEntries(t.columns.map((c) => [c.name, columnSchema(c)])),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: o.title, version: o.version },
    paths: { ...paths, ...o.extraPaths },
    components: { schemas },
  };
}
