import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { PUBLIC, ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';

/**
 * The robot door's group commit (issue 15) on a real database: deliveries that arrive together are
 * authenticated, recorded and queued by one statement, and each still gets its own answer — new,
 * replayed, forged or refused by the database — exactly as if it had come alone.
 */
describe('robot door: deliveries arriving together', () => {
  let w: RobotWorld;
  beforeAll(async () => {
    w = await robotWorld();
  });
  afterAll(() => w?.close());

  const prepare = (i: number) => w.emu.control.prepareRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: 1 + (i % 5) }, properties: { template: 'sales-contract' } });
  const edit = (body: string, key: string, value: string) => {
    const form = new URLSearchParams(body);
    form.set(key, value);
    return form.toString();
  };
  const post = (body: string) =>
    w.app.request(`${PUBLIC}/b24/robots/send-for-signing`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  /** The delivery rows of these event tokens with the transaction that wrote each (xmin), and their queued jobs. */
  const recorded = async (tokens: string[]) => {
    const calls = rowsOf<{ id: string; event_token: string; tx: string }>(
      await w.services.db.execute(sql`select id, event_token, xmin::text as tx from robot_calls where event_token in ${tokens}`),
    );
    const jobs = rowsOf<{ call_id: string }>(
      await w.services.db.execute(sql`select payload->>'callId' as call_id from jobs where kind = 'robot.send' and payload->>'callId' in ${calls.length ? calls.map((c) => c.id) : ['-']}`),
    );
    return { calls, jobs };
  };

  it('records a burst in one transaction and answers each delivery for itself: new, replayed twin, forged', async () => {
    const fresh = Array.from({ length: 10 }, (_, i) => prepare(i));
    const forged = prepare(10);
    const bodies = [...fresh.map((d) => d.body), fresh[0]!.body, edit(forged.body, 'auth[application_token]', 'not-the-token')];
    const answers = await Promise.all(bodies.map(async (b) => {
      const res = await post(b);
      return { status: res.status, body: (await res.json()) as { duplicate?: boolean } };
    }));

    // Ten new deliveries; the second copy of the first is its replay, whichever of the two came first.
    const firstTwice = [answers[0]!, answers[10]!];
    expect(firstTwice.map((a) => a.status)).toEqual([200, 200]);
    expect(firstTwice.map((a) => a.body.duplicate).sort()).toEqual([false, true]);
    for (const a of answers.slice(1, 10)) expect(a).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    expect(answers[11]!.status).toBe(401);

    const { calls, jobs } = await recorded([...fresh.map((d) => d.eventToken), forged.eventToken]);
    expect(calls.map((c) => c.event_token).sort()).toEqual(fresh.map((d) => d.eventToken).sort());
    expect(jobs.map((j) => j.call_id).sort()).toEqual(calls.map((c) => c.id).sort());
    // One statement, one commit for the burst (each delivery alone would be twelve).
    expect(new Set(calls.map((c) => c.tx)).size).toBe(1);
  });

  it('a delivery the database refuses fails alone: the others of its burst are recorded and acknowledged', async () => {
    const good = Array.from({ length: 4 }, (_, i) => prepare(20 + i));
    const bad = prepare(30);
    // The database refuses this one row (a trigger stands in for any constraint a row could break).
    expect(bad.eventToken).toMatch(/^[A-Za-z0-9._|-]+$/);
    await w.services.db.execute(sql.raw(`create function refuse_one() returns trigger language plpgsql as $$ begin if new.event_token = '${bad.eventToken}' then raise exception 'refused for the test'; end if; return new; end $$`));
    await w.services.db.execute(sql`create trigger refuse_one before insert on robot_calls for each row execute function refuse_one()`);
    const answers = await Promise.all([...good.map((d) => d.body), bad.body].map(async (b) => (await post(b)).status)).finally(async () => {
      await w.services.db.execute(sql`drop trigger refuse_one on robot_calls`);
      await w.services.db.execute(sql`drop function refuse_one()`);
    });
    expect(answers).toEqual([200, 200, 200, 200, 500]);
    const { calls, jobs } = await recorded([...good.map((d) => d.eventToken), bad.eventToken]);
    expect(calls.map((c) => c.event_token).sort()).toEqual(good.map((d) => d.eventToken).sort());
    expect(jobs).toHaveLength(4);
  });
});
