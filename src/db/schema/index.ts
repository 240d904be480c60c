export * from './portals.js';
export * from './jobs.js';
export * from './envelopes.js';
export * from './recipients.js';
export * from './field-values.js';
export * from './audit-events.js';
export * from './messages.js';
export * from './card-prefs.js';
