export * from './portals.js';
export * from './jobs.js';
