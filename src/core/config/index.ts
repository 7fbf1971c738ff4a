/** Configuration: loading, the brotr.yaml schema, base service options and shared blocks. */
export * from './brotr.js';
export * from './errors.js';
export * from './fields.js';
export * from './load.js';
export * from './service.js';
