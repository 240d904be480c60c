import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { robotCalls } from '../../src/db/schema/robot-calls.js';
import { timelineWrites } from '../../src/db/schema/timeline.js';
import { ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';
import { cardEnvelopes } from '../helpers/card-envelope.js';

/**
 * Write-ahead for the timeline outbox (issue 15 item 1): Bitrix24 carries a write out but its answer
 * is lost, or the answer arrives and our record of it fails. Either way the retry must find the
 * write (crm.activity.list by originId, crm.timeline.logmessage.list, crm.timeline.comment.list)
 * instead of repeating it, and a repeated bizproc.event.send refused by Bitrix24 counts as delivered.
 * Counted from the emulator's own records.
 */
describe('timeline writes exactly once when answers or records are lost', () => {
  let w: RobotWorld;
  let card: Awaited<ReturnType<typeof cardEnvelopes>>;
  let nextDeal = 40;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
    card = await cardEnvelopes(w);
  });
  afterAll(() => w?.close());

  const cardEnvelope = (dealId = nextDeal++) => card.send(dealId, `Supply agreement ${dealId}`);
  const timelineOf = (dealId: number) => w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: dealId });
  const kinds = (dealId: number) => {
    const tl = timelineOf(dealId);
    return {
      activities: tl.filter((e) => e.kind === 'activity').length,
      logs: tl.filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text)),
      comments: tl.filter((e) => e.kind === 'comment').length,
    };
  };
  const lookups = () =>
    ['crm.activity.list', 'crm.timeline.logmessage.list', 'crm.timeline.comment.list'].map((m) => w.emu.control.calls({ memberId: w.memberId, method: m }).length);
  const pendingRows = async (envelopeId: string) =>
    (await w.services.db.select().from(timelineWrites).where(eq(timelineWrites.envelopeId, envelopeId))).filter((r) => r.status === 'pending');

  it('answers lost after the write (batch and the PDF comment): one activity, one line per event, one comment', async () => {
    const [activityLookups, logLookups, commentLookups] = lookups();
    // The first flush's batch is carried out, then its reply fails with a 504.
    const lost = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 504, afterCall: true, count: 1 });
    const { env, dealId, rs } = await cardEnvelope();
    await w.drain();
    expect(kinds(dealId).activities).toBe(1); // written, but we did not hear so
    expect((await pendingRows(env.id)).map((r) => r.key).sort()).toEqual(['activity', expect.stringMatching(/^log:\d+$/)]);
    await w.drain(3);
    w.emu.control.clearFaults(lost);
    expect(kinds(dealId)).toEqual({ activities: 1, logs: [`"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`], comments: 0 });
    const [a1, l1] = lookups();
    expect(a1).toBeGreaterThan(activityLookups!);
    expect(l1).toBeGreaterThan(logLookups!);

    await w.act(rs[0]!.id, { sign: true });
    await w.drain();
    // The last flush: its batch (activity update, lines, trigger) and the comment with the PDF both lose their answers.
    const lostBatch = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 502, afterCall: true, count: 1 });
    const lostComment = w.emu.control.fault({ memberId: w.memberId, method: 'crm.timeline.comment.add', status: 504, afterCall: true, count: 1 });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain(5);
    w.emu.control.clearFaults(lostBatch);
    w.emu.control.clearFaults(lostComment);
    const end = kinds(dealId);
    expect(end.activities).toBe(1);
    expect(end.logs).toEqual([
      `"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`,
      `Anna Rossi opened "${env.title}"`,
      `Anna Rossi signed "${env.title}"`,
      `Ivan Petrov opened "${env.title}"`,
      `Ivan Petrov signed "${env.title}"`,
    ]);
    expect(end.comments).toBe(1);
    expect((timelineOf(dealId).find((e) => e.kind === 'activity')!.layout as any).header.tags.status).toEqual({ title: 'Signed', type: 'success' });
    expect(lookups()[2]).toBeGreaterThan(commentLookups!);
    expect(await pendingRows(env.id)).toEqual([]);
    // Both faults really fired after the write.
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'crm.timeline.comment.add' }).length).toBeGreaterThanOrEqual(1);
  });

  it('the record after the call fails: the retry looks the writes up and repeats none', async () => {
    const real = w.services.db;
    w.services.db = failingSettles(real);
    let env, dealId;
    try {
      ({ env, dealId } = await cardEnvelope());
      await w.drain();
    } finally {
      w.services.db = real;
    }
    // Sent once, recorded only as intents.
    expect(kinds(dealId).activities).toBe(1);
    expect((await pendingRows(env.id)).length).toBe(2);
    await w.drain(3);
    expect(kinds(dealId)).toEqual({ activities: 1, logs: [`"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`], comments: 0 });
    const rows = await w.services.db.select().from(timelineWrites).where(eq(timelineWrites.envelopeId, env.id));
    expect(rows.map((r) => r.status)).toEqual(['done', 'done']);
    const activityId = timelineOf(dealId).find((e) => e.kind === 'activity')!.id;
    expect(rows.find((r) => r.key === 'activity')!.result).toEqual({ activity: { id: activityId } });
  });

  it('a robot reply whose answer was lost is sent again, refused as already taken, and counted as delivered', async () => {
    const stageId = 'PREPARATION';
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId, properties: { template: 'sales-contract' } });
    const dealId = w.dealNotOn(stageId);
    const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId });
    w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== stageId);
    const token = move.robots.find((r) => r.code === ROBOT_CODE)!.eventToken;
    await w.drain();
    const [call] = await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token));
    const rs = await w.recipientsOf(call!.envelopeId!);
    await w.act(rs[0]!.id, { sign: true });
    await w.drain();
    // Every batch from here on is carried out but loses its answer, the one with event.send included.
    const lost = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 504, afterCall: true, count: 4 });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain(10);
    w.emu.control.clearFaults(lost);

    const sends = w.emu.control.eventSends(w.memberId).filter((s) => s.eventToken === token);
    expect(sends.filter((s) => s.accepted)).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'signed' });
    // Repeats were refused by the emulator as Bitrix24 documents it, not dropped by us.
    expect(sends.filter((s) => !s.accepted).length).toBeGreaterThanOrEqual(1);
    const [after] = await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token));
    expect(after!.error).toBeNull();
    const reply = (await w.services.db.select().from(timelineWrites).where(eq(timelineWrites.envelopeId, call!.envelopeId!))).find((r) => r.key === 'robot:reply')!;
    expect(reply).toMatchObject({ status: 'done', result: { deliveredEarlier: true } });
    const tl = w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: Number(dealId) });
    expect(tl.filter((e) => e.kind === 'activity')).toHaveLength(1);
    const logs = tl.filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text));
    expect(new Set(logs).size).toBe(logs.length);
    expect(logs.some((l) => /no longer|stopped/i.test(l))).toBe(false);
  });

  it('a robot stopped by bad settings: its error reply and timeline note survive lost answers, once each', async () => {
    const stageId = 'PREPAYMENT_INVOICE';
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId, properties: { template: 'no-such-template' } });
    const dealId = w.dealNotOn(stageId);
    // The error reply and then the note are carried out, and each loses its answer once.
    const lostReply = w.emu.control.fault({ memberId: w.memberId, method: 'bizproc.event.send', status: 504, afterCall: true, count: 1 });
    const lostNote = w.emu.control.fault({ memberId: w.memberId, method: 'crm.timeline.logmessage.add', status: 504, afterCall: true, count: 1 });
    const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId });
    w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== stageId);
    const token = move.robots.find((r) => r.code === ROBOT_CODE)!.eventToken;
    await w.drain(5);
    w.emu.control.clearFaults(lostReply);
    w.emu.control.clearFaults(lostNote);
    const [call] = await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token));
    expect(call).toMatchObject({ status: 'failed', error: expect.stringContaining('no-such-template') });
    const sends = w.emu.control.eventSends(w.memberId).filter((s) => s.eventToken === token);
    expect(sends.filter((s) => s.accepted).map((s) => s.returnValues.status)).toEqual(['error']);
    expect(sends.length).toBeGreaterThanOrEqual(2); // the repeat was refused, not skipped
    const notes = w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: Number(dealId), kind: 'logmessage' }).filter((e) => String(e.fields.text).includes('no-such-template'));
    expect(notes).toHaveLength(1);
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'crm.timeline.logmessage.list' }).length).toBeGreaterThan(0);
  });

  it('a flush of more than one batch whose first batch fails: the later batch is not sent, and its "sent" lines still go out on the retry', async () => {
    // 26 envelopes queued before any flush runs: an activity and a "sent" line each, 52 writes, so
    // the first flush gathers them all and needs two batches (50 + 2).
    const { ids } = w.emu.control.addDeals({ memberId: w.memberId, count: 26 });
    const sent = [];
    for (const id of ids) sent.push(await card.send(Number(id), `Two batches ${id}`));
    const batchesBefore = w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).length;
    // The first batch is refused whole (an outage in front of the portal): nothing of it is carried out.
    const outage = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 502, error: 'BAD_GATEWAY', count: 1 });
    await w.drain();
    w.emu.control.clearFaults(outage);
    // The second batch was never sent by that flush: the flush stopped at the failure.
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).length - batchesBefore).toBe(1);
    expect(sent.map(({ dealId }) => kinds(dealId).activities)).toEqual(sent.map(() => 0));
    await w.drain(3);
    for (const { env, dealId } of sent) {
      expect(kinds(dealId), env.title).toEqual({ activities: 1, logs: [`"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`], comments: 0 });
      expect(await pendingRows(env.id)).toEqual([]);
    }
  });
});

/** The app's database with the timeline outbox unable to settle a write (pending intents still go in). */
function failingSettles(real: Database): Database {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'insert') return Reflect.get(target, prop, receiver);
      return (table: unknown) => {
        const builder = target.insert(table as never);
        if (table !== timelineWrites) return builder;
        return new Proxy(builder, {
          get(b, p, r) {
            if (p !== 'values') return Reflect.get(b, p, r);
            return (values: unknown) => {
              if (!Array.isArray(values) && (values as { status?: string }).status !== 'pending') throw new Error('record failed: connection terminated (injected)');
              return b.values(values as never);
            };
          },
        });
      };
    },
  });
}
