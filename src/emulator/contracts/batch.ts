/** `batch` (b24restdocs settings/how-to-call-rest-api/batch.md): up to 50 sub-calls in one request. */
import { z } from 'zod';
import { contract, SYSTEM_ERRORS, zInt, zYN } from './types.js';

/** A PHP array in the reply: an object keyed by command, a list for list input, `[]` when empty. */
const section = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

export const batchContract = contract({
  method: 'batch',
  source: ['b24restdocs settings/how-to-call-rest-api/batch.md', 'b24restdocs _includes/system-errors.md'],
  scope: ['basic'],
  params: z.looseObject({
    cmd: z.union([z.record(z.string(), z.string()), z.array(z.string())]),
    halt: z.union([zInt, zYN]).optional(),
  }),
  result: z.looseObject({ result: section, result_error: section, result_total: section, result_next: section, result_time: section }),
  errors: SYSTEM_ERRORS.filter((e) => e.code.startsWith('ERROR_BATCH')),
});
