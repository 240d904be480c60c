/**
 * The robot, the timeline and the card where Bitrix24 differs from what the app used to assume
 * (reference §14): an employee whose e-mail the user_brief scope hides still signs — inside Bitrix24,
 * where the portal vouches for them — and the card says why the address is blank; the sealed PDF never rides in a batch beside the robot's
 * reply; a contact's workflow hears the outcome through bizproc.event.send alone (no trigger).
 */
import { and, eq } from 'drizzle-orm';
import { messages } from '../../src/db/schema/messages.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { robotCalls } from '../../src/db/schema/robot-calls.js';
import { issueSession } from '../../src/http/session.js';
import { CLIENT, ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';

describe('Bitrix24 corrections seen from the robot, the timeline and the card', () => {
  let w: RobotWorld;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
  }, 60_000);
  afterAll(() => w?.close());

  const callOf = async (token: string) => (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token)))[0]!;
  const sendsFor = (token: string) => w.emu.control.eventSends(w.memberId).filter((s) => s.eventToken === token);

  /** The portal as installed before the app asked for user_basic: its tokens carry user_brief. */
  function downgradeToUserBrief(): () => void {
    const app = w.st().apps.get(CLIENT.clientId)!;
    const saved = app.scope;
    const brief = saved.map((s) => (s === 'user_basic' ? 'user_brief' : s));
    app.scope = brief;
    const tokens = [...w.emu.state.tokens.values()].filter((t) => t.memberId === w.memberId);
    for (const t of tokens) t.scope = brief;
    return () => {
      app.scope = saved;
      for (const t of tokens) t.scope = saved;
    };
  }

  it('a company signer whose e-mail the scope hides: the robot sends anyway, and the employee is invited to sign inside Bitrix24', async () => {
    const restore = downgradeToUserBrief();
    try {
      const deal = w.dealNotOn('X');
      const fired = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: deal }, properties: { template: 'nda' } });
      await w.drain();
      const call = await callOf(fired.eventToken);
      expect(call.status, String(call.error)).toBe('sent');
      expect(sendsFor(fired.eventToken).filter((s) => s.returnValues.status === 'error')).toEqual([]);
      const [company] = await w.recipientsOf(call.envelopeId!);
      expect(company).toMatchObject({ party: 'company', email: null });
      expect(company!.b24UserId).toBeGreaterThan(0);
      const invitations = await w.services.db.select().from(messages).where(and(eq(messages.recipientId, company!.id), eq(messages.template, 'invitation')));
      expect(invitations.map((m) => m.channel)).toEqual(['im']);
      expect(invitations[0]!.body).toContain(`params%5Bsign%5D=${call.envelopeId}`);
    } finally {
      restore();
    }
  });

  it('the card says the e-mail is hidden by the scope, and an employee without one is no problem: they sign in Bitrix24', async () => {
    const restore = downgradeToUserBrief();
    try {
      const auth = `Bearer ${await issueSession(w.services.config.sessionSecret, { portalId: w.portalId, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang: 'en' })}`;
      const res = await w.app.request('/api/card/items/2/2/proposal', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      const p = (await res.json()) as { people: { kind: string; emailHidden?: boolean }[]; problems: { code: string; emailHidden?: boolean; index?: number }[] };
      expect(p.people.find((x) => x.kind === 'responsible')).toMatchObject({ emailHidden: true });
      expect(p.problems.filter((x) => x.code === 'no_email' && x.index === 0)).toEqual([]);
      const users = (await (await w.app.request('/api/card/users', { headers: { authorization: auth } })).json()) as { users: { email: string | null; emailHidden?: boolean }[] };
      expect(users.users.every((u) => u.email === null && u.emailHidden === true)).toBe(true);
    } finally {
      restore();
    }
  });

  it('the sealed PDF goes alone, so a portal refusing long batches still gets the robot reply', async () => {
    const saved = w.emu.state.opts.batchMaxLength;
    try {
      const deal = Number(w.dealNotOn('X', new Set(['2'])));
      const fired = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: deal }, properties: { template: 'nda' } });
      await w.drain();
      const call = await callOf(fired.eventToken);
      expect(call.status, String(call.error)).toBe('sent');
      const rs = await w.recipientsOf(call.envelopeId!);
      // Long enough for every write but a file: a batch carrying the PDF is refused as too long.
      w.emu.state.opts.batchMaxLength = 20_000;
      await w.act(rs[0]!.id, { sign: true });
      await w.act(rs[1]!.id, { sign: true });
      await w.drain(4);
      const sends = sendsFor(fired.eventToken);
      expect(sends.map((s) => s.returnValues.status)).toEqual(['signed']);
      const [comment, ...more] = w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: deal, kind: 'comment' });
      expect(more).toHaveLength(0);
      // Its base64 alone is longer than the portal takes in one batch.
      expect(Math.ceil(comment!.files![0]!.bytes / 3) * 4).toBeGreaterThan(20_000);
      const comments = w.emu.control.calls({ memberId: w.memberId, method: 'crm.timeline.comment.add', includeBatchParts: true });
      expect(comments.length).toBeGreaterThan(0);
      expect(comments.every((c) => c.batchKey === undefined)).toBe(true);
    } finally {
      w.emu.state.opts.batchMaxLength = saved;
    }
  });

  it('an envelope on a contact: the workflow gets event.send, and no trigger is executed (contacts have none)', async () => {
    const contact = [...w.st().contacts.values()].find((c) => Array.isArray(c.EMAIL) && (c.EMAIL as unknown[]).length)!;
    const fired = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'contact', id: String(contact.ID) }, properties: { template: 'nda' } });
    await w.drain();
    const call = await callOf(fired.eventToken);
    expect(call.status, String(call.error)).toBe('sent');
    const rs = await w.recipientsOf(call.envelopeId!);
    await w.act(rs[0]!.id, { sign: true });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain(4);
    expect(sendsFor(fired.eventToken).map((s) => s.returnValues.status)).toEqual(['signed']);
    const triggerCalls = w.emu.control.calls({ memberId: w.memberId, method: 'crm.automation.trigger.execute', includeBatchParts: true });
    expect(triggerCalls.filter((c) => Number(c.params.OWNER_TYPE_ID) === 3)).toEqual([]);
  });
});
