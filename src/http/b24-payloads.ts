// Bitrix24's payload schemas are Bitrix24 domain knowledge (src/bitrix24/payloads.ts); re-exported for the doors.
export * from '../bitrix24/payloads.js';
