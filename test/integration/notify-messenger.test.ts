import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/audit-events.js';
import { messages } from '../../src/db/schema/messages.js';
import { recipients } from '../../src/db/schema/recipients.js';
import { cardEnvelopes } from '../helpers/card-envelope.js';
import { robotWorld, type RobotWorld } from '../helpers/robot.js';

/**
 * Messenger invitations (im.notify.personal.add) as durable jobs, counted from the emulator's own
 * records: a 503 storm delays them, an answer lost after the notification was stored repeats it
 * under the same TAG (Bitrix24 keeps one), and a user Bitrix24 does not know fails it for good.
 */
describe('messenger notifications through the job queue', () => {
  let w: RobotWorld;
  let card: Awaited<ReturnType<typeof cardEnvelopes>>;
  let nextDeal = 50;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
    card = await cardEnvelopes(w);
  });
  afterAll(() => w?.close());

  const imRow = async (recipientId: string) =>
    (await w.services.db.select().from(messages).where(and(eq(messages.recipientId, recipientId), eq(messages.channel, 'im'))))[0]!;
  const notificationsFor = (messageId: string) => w.emu.control.notifications(w.memberId).filter((n) => String(n.params.TAG) === `b24sign|${messageId}`);

  it('a 503 storm delays the invitation; it arrives once when Bitrix24 takes it', async () => {
    const storm = w.emu.control.fault({ memberId: w.memberId, method: 'im.notify.personal.add', status: 503, error: 'QUERY_LIMIT_EXCEEDED', count: 8 });
    const { rs } = await card.send(nextDeal++, 'Storm contract');
    await w.drain();
    let m = await imRow(rs[0]!.id);
    expect(m.status).toBe('queued');
    expect(m.error).toMatch(/QUERY_LIMIT_EXCEEDED/);
    await w.drain(6);
    w.emu.control.clearFaults(storm);
    m = await imRow(rs[0]!.id);
    expect(m.status).toBe('sent');
    expect(notificationsFor(m.id)).toHaveLength(1);
  });

  it('an answer lost after the notification was stored: the repeat carries the same TAG, so the user has one', async () => {
    const lost = w.emu.control.fault({ memberId: w.memberId, method: 'im.notify.personal.add', status: 504, afterCall: true, count: 1 });
    const { rs } = await card.send(nextDeal++, 'Lost answer contract');
    await w.drain(3);
    w.emu.control.clearFaults(lost);
    const m = await imRow(rs[0]!.id);
    expect(m.status).toBe('sent');
    const calls = w.emu.control.calls({ memberId: w.memberId, method: 'im.notify.personal.add' }).filter((c) => String(c.params.TAG) === `b24sign|${m.id}`);
    expect(calls.length).toBe(2); // carried out twice …
    expect(notificationsFor(m.id)).toHaveLength(1); // … shown once
  });

  it('a user Bitrix24 does not know (USER_ID_EMPTY, 4xx) fails the message at once, audited, never repeated', async () => {
    const { env, rs } = await card.send(nextDeal++, 'Unknown user contract');
    // The company signer's Bitrix24 account is gone by the time the job runs.
    await w.services.db.delete(messages).where(eq(messages.recipientId, rs[0]!.id));
    await w.services.db.update(recipients).set({ b24UserId: 999_999 }).where(eq(recipients.id, rs[0]!.id));
    const { deliver } = await import('../../src/notify/deliver.js');
    await deliver(w.services, { portalId: card.portalId, envelopeId: env.id, recipientId: rs[0]!.id, lang: 'en', template: 'reminder', vars: { recipientName: 'Anna Rossi', title: env.title }, b24UserId: 999_999 });
    await w.drain(4);
    const m = await imRow(rs[0]!.id);
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(/USER_ID_EMPTY/);
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'im.notify.personal.add' }).filter((c) => String(c.params.TAG) === `b24sign|${m.id}`)).toHaveLength(1);
    const audit = await w.services.db.select().from(auditEvents).where(eq(auditEvents.envelopeId, env.id));
    expect(audit.filter((e) => e.type === 'delivery_failed').map((e) => (e.data as { channel: string }).channel)).toEqual(['im']);
  });
});
