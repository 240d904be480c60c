import { describe, expect, it } from 'vitest';
import { WorkerPool, type WorkerOutcome } from '../../src/entry/worker-threads.js';

/** The worker machinery behind verification: limits, replacement of failed workers, a bounded queue. */
const entry = new URL('../fixtures/workers/chores-worker.mjs', import.meta.url);
type Reply = { value: number; threadId: number };
// Idle workers never hold the process open and end after idleMs.
const pool = (size: number, queue: number, limits = { timeoutMs: 2000, memoryMb: 32 }) => new WorkerPool(entry, { size, queue, limits, idleMs: 5000 });
const ok = (o: WorkerOutcome<Reply> | typeof WorkerPool.FULL) => {
  if (o === WorkerPool.FULL || !o.ok) throw new Error(`expected an answer, got ${String(o === WorkerPool.FULL ? 'FULL' : o.reason)}`);
  return o.value;
};

describe('WorkerPool', () => {
  it('reuses a worker between tasks', async () => {
    const p = pool(1, 0);
    const a = ok(await p.run<Reply>({ value: 1 }));
    const b = ok(await p.run<Reply>({ value: 2 }));
    expect([a.value, b.value]).toEqual([1, 2]);
    expect(b.threadId).toBe(a.threadId);
  });

  it('stops a task at its time limit, and the next task gets a fresh worker', async () => {
    const p = pool(1, 0, { timeoutMs: 300, memoryMb: 32 });
    const first = ok(await p.run<Reply>({ value: 1 }));
    const t0 = performance.now();
    const spun = await p.run<Reply>({ chore: 'spin' });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(spun).toMatchObject({ ok: false, reason: 'timeout' });
    const next = ok(await p.run<Reply>({ value: 3 }));
    expect(next.threadId).not.toBe(first.threadId);
  });

  it('ends a task that outgrows its heap as "memory", a throwing one as "error"', async () => {
    const p = pool(1, 0, { timeoutMs: 20_000, memoryMb: 32 });
    expect(await p.run<Reply>({ chore: 'hoard' })).toMatchObject({ ok: false, reason: 'memory' });
    expect(await p.run<Reply>({ chore: 'throw' })).toMatchObject({ ok: false, reason: 'error' });
    expect(ok(await p.run<Reply>({ value: 4 })).value).toBe(4);
  });

  it('runs at most `size` at once, queues `queue` more and refuses the rest at once', async () => {
    const p = pool(1, 1);
    const runs = [p.run<Reply>({ chore: 'wait', value: 1 }), p.run<Reply>({ chore: 'wait', value: 2 }), p.run<Reply>({ chore: 'wait', value: 3 })];
    expect(await runs[2]!).toBe(WorkerPool.FULL);
    expect(ok(await runs[0]!).value).toBe(1);
    expect(ok(await runs[1]!).value).toBe(2);
  });
});
