/** What `verifyDatabase` requires: exactly the reference schema, so a database made by the reference passes. */

/** Tables and the columns (name → type) the services rely on. */
export const EXPECTED_TABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  relay: { url: 'text', network: 'text', discovered_at: 'bigint' },
  event: {
    id: 'bytea',
    pubkey: 'bytea',
    created_at: 'bigint',
    kind: 'integer',
    tags: 'jsonb',
    tagvalues: 'text[]',
    content: 'text',
    sig: 'bytea',
  },
  event_relay: { event_id: 'bytea', relay_url: 'text', seen_at: 'bigint' },
  metadata: { id: 'bytea', type: 'text', data: 'jsonb' },
  relay_metadata: { relay_url: 'text', metadata_id: 'bytea', metadata_type: 'text', generated_at: 'bigint' },
  service_state: { service_name: 'text', state_type: 'text', state_key: 'text', state_value: 'jsonb' },
};

/** Stored functions as `name(argument types)` and their result type. */
export const EXPECTED_FUNCTIONS: Readonly<Record<string, string>> = {
  'tags_to_tagvalues(jsonb)': 'text[]',
  'relay_insert(text[], text[], bigint[])': 'integer',
  'event_insert(bytea[], bytea[], bigint[], integer[], jsonb[], text[], bytea[])': 'integer',
  'metadata_insert(bytea[], text[], jsonb[])': 'integer',
  'event_relay_insert(bytea[], text[], bigint[])': 'integer',
  'relay_metadata_insert(text[], bytea[], text[], bigint[])': 'integer',
  'service_state_upsert(text[], text[], text[], jsonb[])': 'integer',
  'service_state_get(text, text, text)': 'TABLE(state_key text, state_value jsonb)',
  'service_state_delete(text[], text[], text[])': 'integer',
  'event_relay_insert_cascade(bytea[], bytea[], bigint[], integer[], jsonb[], text[], bytea[], text[], text[], bigint[], bigint[])':
    'integer',
  'relay_metadata_insert_cascade(text[], text[], bigint[], bytea[], text[], jsonb[], bigint[])': 'integer',
  'orphan_metadata_delete(integer)': 'integer',
  'orphan_event_delete(integer)': 'integer',
  'all_statistics_refresh()': 'void',
};

/** Extensions that must be installed. */
export const EXPECTED_EXTENSIONS: readonly string[] = ['btree_gin'];
