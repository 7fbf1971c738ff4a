/** The models layer: pure data and validation, no I/O. */
export * from './canonical-json.js';
export * from './event.js';
export * from './metadata.js';
export * from './network.js';
export * from './py-json.js';
export * from './relay.js';
export * from './relay-url.js';
export * from './result.js';
export * from './schnorr.js';
export * from './service-state.js';
