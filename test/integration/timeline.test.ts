import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema/jobs.js';
import { timelineWrites } from '../../src/db/schema/timeline.js';
import { robotWorld, type RobotWorld } from '../helpers/robot.js';
import { cardEnvelopes } from '../helpers/card-envelope.js';

/**
 * Timeline reports for envelopes made from the CRM card (no robot): one activity per envelope kept
 * up to date, a log line per intermediate event, the sealed PDF as a comment; through the durable
 * queue, so an outage or a QUERY_LIMIT_EXCEEDED storm delays the story but never loses or repeats
 * a line.
 */
describe('CRM timeline reports through the job queue', () => {
  let w: RobotWorld;
  let card: Awaited<ReturnType<typeof cardEnvelopes>>;
  let nextDeal = 30;
  beforeAll(async () => {
    w = await robotWorld({ env: { BITRIX24_RATE_PER_SECOND: '1000', BITRIX24_RATE_BURST: '1000' } });
    card = await cardEnvelopes(w);
  });
  afterAll(() => w?.close());

  /** What the card does: an envelope bound to a deal, sent by a portal user. */
  const cardEnvelope = (dealId = nextDeal++) => card.send(dealId, `Contract for deal ${dealId}`);
  const timelineOf = (dealId: number) => w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: dealId });
  const logsOf = (dealId: number) => timelineOf(dealId).filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text));
  const batches = () => w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).length;

  it('several envelopes due at once are reported in one batch: one activity each, "sent" logged once each; no robot calls', async () => {
    const before = batches();
    const made = [await cardEnvelope(), await cardEnvelope(), await cardEnvelope()];
    await w.drain();
    expect(batches() - before).toBe(1);
    for (const m of made) {
      const tl = timelineOf(m.dealId);
      expect(tl.filter((e) => e.kind === 'activity')).toHaveLength(1);
      expect(logsOf(m.dealId)).toEqual([`"${m.env.title}" sent for signing to Anna Rossi, Ivan Petrov`]);
      const layout = tl.find((e) => e.kind === 'activity')!.layout as any;
      expect(layout.header.tags.status).toEqual({ title: 'Sent', type: 'primary' });
      expect(layout.body.blocks.next.properties.block.properties.value).toBe('Anna Rossi');
      expect(layout.footer.buttons.pdf).toBeUndefined();
    }
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'bizproc.event.send', includeBatchParts: true })).toHaveLength(0);
    // Nothing new to say: a second flush makes no request.
    const mid = batches();
    await w.drain(2);
    expect(batches()).toBe(mid);
  });

  it('a 5xx outage delays the reports; after it every line arrives once, in order', async () => {
    const { env, dealId, rs } = await cardEnvelope();
    await w.drain();
    const fault = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 500, count: 3 });
    await w.act(rs[0]!.id, { sign: true });
    await w.drain(); // first try hits the outage
    expect(logsOf(dealId)).toHaveLength(1);
    // The flush is back in the queue with the reason, waiting out its backoff.
    const waiting = (await w.services.db.select().from(jobs).where(eq(jobs.kind, 'timeline.sync'))).filter((j) => j.status === 'queued');
    expect(waiting.some((j) => /500|INTERNAL_SERVER_ERROR/.test(j.lastError ?? '') && j.runAt > w.clock.now())).toBe(true);
    await w.drain(6); // backoff, retries, the outage ends
    w.emu.control.clearFaults(fault);
    expect(logsOf(dealId)).toEqual([
      `"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`,
      `Anna Rossi opened "${env.title}"`,
      `Anna Rossi signed "${env.title}"`,
    ]);
    const layout = timelineOf(dealId).find((e) => e.kind === 'activity')!.layout as any;
    expect(layout.header.tags.status).toEqual({ title: 'In progress', type: 'warning' });
    expect(layout.body.blocks.signed.properties.block.properties.value).toBe('Anna Rossi');
    expect(layout.body.blocks.next.properties.block.properties.value).toBe('Ivan Petrov');
    const failed = w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).filter((c) => c.httpStatus === 500);
    expect(failed.length).toBe(3);
  });

  it('a QUERY_LIMIT_EXCEEDED storm: the client backs off, the job retries later; the comment with the sealed PDF and every line arrive exactly once', async () => {
    const { env, dealId, rs } = await cardEnvelope();
    await w.drain();
    await w.act(rs[0]!.id, { sign: true });
    // 503 QUERY_LIMIT_EXCEEDED for the next 12 batch requests: more than the client's own 3 retries per call.
    const storm = w.emu.control.fault({ memberId: w.memberId, method: 'batch', status: 503, error: 'QUERY_LIMIT_EXCEEDED', count: 12 });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain(); // seals; the flush meets the storm
    expect(timelineOf(dealId).filter((e) => e.kind === 'comment')).toHaveLength(0);
    await w.drain(8);
    w.emu.control.clearFaults(storm);
    const tl = timelineOf(dealId);
    expect(tl.filter((e) => e.kind === 'activity')).toHaveLength(1);
    expect((tl.find((e) => e.kind === 'activity')!.layout as any).header.tags.status).toEqual({ title: 'Signed', type: 'success' });
    expect(logsOf(dealId)).toEqual([
      `"${env.title}" sent for signing to Anna Rossi, Ivan Petrov`,
      `Anna Rossi opened "${env.title}"`,
      `Anna Rossi signed "${env.title}"`,
      `Ivan Petrov opened "${env.title}"`,
      `Ivan Petrov signed "${env.title}"`,
    ]);
    const comments = tl.filter((e) => e.kind === 'comment');
    expect(comments).toHaveLength(1);
    expect(comments[0]!.files![0]!.name).toBe(`${env.publicId}.pdf`);
    expect(w.emu.control.triggerExecutions(w.memberId).filter((t) => t.ownerId === dealId).map((t) => t.code)).toEqual(['b24sign_signed']);
    const keys = (await w.services.db.select().from(timelineWrites).where(eq(timelineWrites.envelopeId, env.id))).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('comment:sealed');
    expect(w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).filter((c) => c.httpStatus === 503)).toHaveLength(12);
  });
});
