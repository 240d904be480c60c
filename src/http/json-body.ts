import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from './errors.js';

/**
 * The request's JSON body checked against `schema`: BAD_REQUEST when it is not JSON,
 * VALIDATION_FAILED naming every bad path when it does not fit.
 */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'Send a JSON body.');
  }
  // PostgreSQL text and jsonb hold no NUL character; only a body that spells one out is walked.
  if (text.includes('\\u0000') && holdsNul(raw)) throw new AppError('BAD_REQUEST', 'The JSON body contains a NUL character (\\u0000).', { reason: 'nul_character' });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Whether any string (key or value) in a parsed JSON value holds U+0000; iterative, so depth costs no stack. */
function holdsNul(value: unknown): boolean {
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\0')) return true;
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\0')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}
