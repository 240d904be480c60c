import type { Context } from 'hono';
import { demandItemReadable, demandManages, demandSees, type CrmRef } from '../roles/envelope-access.js';
import type { Access } from '../roles/policy.js';
import { accessOf } from './require-role.js';
import type { SessionEnv } from './session.js';

// The HTTP side of envelope access: the request's session and its access (resolved once per request)
// handed to the rules in src/roles/envelope-access.ts.

/** 404 when the envelope is not on the session's portal; 403 NOT_VISIBLE when the person may not see it. */
export async function assertSees(c: Context<SessionEnv>, envelopeId: string): Promise<Access> {
  const a = await accessOf(c);
  await demandSees(c.var.services, c.var.session, a, envelopeId);
  return a;
}

/** 403 unless the person may resend, void, send or change this envelope (own; a manager's people; admin). */
export async function assertManages(c: Context<SessionEnv>, envelopeId: string): Promise<Access> {
  const a = await accessOf(c);
  await demandManages(c.var.services, c.var.session, a, envelopeId);
  return a;
}

/** A sender may create documents only on CRM items they can open. */
export function assertItemReadable(c: Context<SessionEnv>, ref: CrmRef, rule: 'ITEM_NOT_READABLE' | 'NOT_VISIBLE' = 'ITEM_NOT_READABLE'): Promise<void> {
  return demandItemReadable(c.var.services, c.var.session, ref, rule);
}
