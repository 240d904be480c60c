import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { ManualClock } from '../../src/lib/clock.js';
import { robotAcceptor } from '../../src/robots/accept.js';
import type { RobotAck } from '../../src/robots/quick-check.js';

/**
 * The robot door's group commit (src/robots/accept.ts) against a stand-in database that records every
 * statement and answers the way PostgreSQL would for rows it is told to accept. The statement itself is
 * exercised on PostgreSQL and PGlite by test/integration/robot-group-commit.test.ts.
 */
const dialect = new PgDialect();

interface Sent {
  rows: { id: string; member_id: string; event_token: string; access_token: string | null; user_id: number | null }[];
  answer(result: { id: string; portal_id: string; created: boolean }[]): void;
  fail(e: Error): void;
}

/** A database whose every statement waits until the test answers it (executePrepared falls back to execute()). */
function fakeDb() {
  const sent: Sent[] = [];
  const db = {
    execute(query: SQL) {
      const { params } = dialect.sqlToQuery(query);
      return new Promise((resolve, reject) => {
        sent.push({ rows: JSON.parse(String(params[0])) as Sent['rows'], answer: (rows) => resolve({ rows }), fail: reject });
      });
    },
  } as unknown as Database;
  return { db, sent };
}

let seq = 0;
const services = (db: Database) => ({ db, clock: new ManualClock(new Date('2026-01-02T03:04:05Z')), ids: { newId: (p: string) => `${p}_${++seq}` } });

const call = (token: string, o: { member?: string; user?: number } = {}): RobotAck => ({
  code: 'b24sign_send_for_signing',
  event_token: token,
  workflow_id: `wf-${token}`,
  document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_7'],
  properties: { template: 'nda' },
  use_subscription: true,
  auth: { member_id: o.member ?? 'm1', application_token: 'app-token', access_token: `at-${token}`, user_id: o.user ?? 1 },
});

/** Lets setImmediate callbacks (the acceptor's flush) and the promise reactions after them run. */
const turn = () => new Promise((r) => setImmediate(r));

/** Answers like the statement: every row of member m1 accepted as new, other members unknown. */
const acceptAll = (s: Sent) => s.answer(s.rows.filter((r) => r.member_id === 'm1').map((r) => ({ id: r.id, portal_id: 'prt_1', created: true })));

describe('robot acknowledgement: group commit', () => {
  it('sends the deliveries of one turn as one statement and answers each only when it has returned', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db));
    let answered = 0;
    const pending = ['a', 'b', 'c', 'd', 'e'].map((t) => acceptor.accept(call(t)).then((r) => (answered++, r)));
    await turn();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.rows.map((r) => r.event_token)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sent[0]!.rows[0]).toMatchObject({ member_id: 'm1', access_token: 'at-a', user_id: 1, entity_type_id: 2, entity_id: 7, subscribed: 'Y', run_at: '2026-01-02T03:04:05.000Z' });
    // Nothing is answered while the statement is out.
    await turn();
    expect(answered).toBe(0);
    acceptAll(sent[0]!);
    const results = await Promise.all(pending);
    expect(results.map((r) => r?.created)).toEqual([true, true, true, true, true]);
    expect(new Set(results.map((r) => r?.callId)).size).toBe(5);
  });

  it('gives each delivery its own outcome: unknown portal → undefined, not new → created: false', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db));
    const pending = [acceptor.accept(call('new')), acceptor.accept(call('x', { member: 'stranger' })), acceptor.accept(call('replayed'))];
    await turn();
    const [s] = sent;
    s!.answer([
      { id: s!.rows[0]!.id, portal_id: 'prt_1', created: true },
      { id: s!.rows[2]!.id, portal_id: 'prt_1', created: false },
    ]);
    expect(await Promise.all(pending)).toEqual([{ portalId: 'prt_1', created: true, callId: s!.rows[0]!.id }, undefined, { portalId: 'prt_1', created: false }]);
  });

  it('keeps at most maxInFlight statements out; deliveries arriving meanwhile wait and go together', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db), { maxInFlight: 1 });
    const first = acceptor.accept(call('1'));
    await turn();
    expect(sent).toHaveLength(1);
    const later = ['2', '3', '4'].map((t) => acceptor.accept(call(t)));
    await turn();
    await turn();
    expect(sent).toHaveLength(1); // the first statement is still out
    acceptAll(sent[0]!);
    await first;
    await turn();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.rows.map((r) => r.event_token)).toEqual(['2', '3', '4']);
    acceptAll(sent[1]!);
    expect((await Promise.all(later)).every((r) => r?.created)).toBe(true);
  });

  it('sends a group as soon as it has eagerRows deliveries, without waiting for the end of the turn', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db), { eagerRows: 3 });
    const pending = ['1', '2', '3', '4'].map((t) => acceptor.accept(call(t)));
    // Still in the same turn: the first three have gone, the fourth waits for the turn's end.
    expect(sent.map((s) => s.rows.map((r) => r.event_token))).toEqual([['1', '2', '3']]);
    await turn();
    expect(sent.map((s) => s.rows.map((r) => r.event_token))).toEqual([['1', '2', '3'], ['4']]);
    sent.forEach(acceptAll);
    expect((await Promise.all(pending)).every((r) => r?.created)).toBe(true);
  });

  it('splits a group at maxRows', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db), { maxRows: 2, maxInFlight: 10 });
    const pending = ['1', '2', '3', '4', '5'].map((t) => acceptor.accept(call(t)));
    await turn();
    expect(sent.map((s) => s.rows.length)).toEqual([2, 2, 1]);
    sent.forEach(acceptAll);
    expect((await Promise.all(pending)).every((r) => r?.created)).toBe(true);
  });

  it('when a group fails, tries each delivery alone: only the one the database refuses fails, nothing is answered as accepted unrecorded', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db));
    const pending = ['ok1', 'bad', 'ok2'].map((t) => acceptor.accept(call(t)).then((r) => ({ r }), (e: Error) => ({ e: e.message })));
    await turn();
    expect(sent).toHaveLength(1);
    sent[0]!.fail(new Error('value "999999999999999" is out of range for type integer'));
    await turn();
    expect(sent.slice(1).map((s) => s.rows.map((r) => r.event_token))).toEqual([['ok1'], ['bad'], ['ok2']]);
    for (const s of sent.slice(1)) {
      if (s.rows[0]!.event_token === 'bad') s.fail(new Error('value "999999999999999" is out of range for type integer'));
      else acceptAll(s);
    }
    const out = await Promise.all(pending);
    expect(out[0]).toMatchObject({ r: { created: true } });
    expect(out[1]).toEqual({ e: 'value "999999999999999" is out of range for type integer' });
    expect(out[2]).toMatchObject({ r: { created: true } });
  });

  it('a lone delivery whose statement fails is refused, not acknowledged', async () => {
    const { db, sent } = fakeDb();
    const acceptor = robotAcceptor(services(db));
    const pending = acceptor.accept(call('alone'));
    await turn();
    sent[0]!.fail(new Error('connection terminated'));
    await expect(pending).rejects.toThrow('connection terminated');
    expect(sent).toHaveLength(1);
    // The acceptor is free again afterwards.
    const next = acceptor.accept(call('next'));
    await turn();
    acceptAll(sent[1]!);
    expect(await next).toMatchObject({ created: true });
  });
});
