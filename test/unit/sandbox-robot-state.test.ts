import { describe, expect, it } from 'vitest';
import { robotState } from '../../src/sandbox/pages/deal.js';

/** The sandbox's stage badge: the robot's real state, read from the workflow Bitrix24 keeps. */
describe('robot state on the deal card', () => {
  const run = (status: 'running' | 'completed' | 'terminated', logs = 0, returned?: string) => ({
    status, logs: Array.from({ length: logs }, (_, i) => ({ at: i, message: `line ${i}` })), ...(returned === undefined ? {} : { returnValues: { status: returned } }),
  });
  it('tells preparing from waiting by whether the app logged the send', () => {
    expect(robotState(undefined)).toBeNull();
    expect(robotState(run('running'))).toBe('starting');
    expect(robotState(run('running', 1))).toBe('waiting');
  });
  it('shows the outcome the app returned; an error or an unknown answer is a failure', () => {
    for (const s of ['sent', 'signed', 'declined', 'expired', 'voided'] as const) expect(robotState(run('completed', 1, s))).toBe(s);
    expect(robotState(run('completed', 1, 'error'))).toBe('failed');
    expect(robotState(run('completed', 0))).toBe('failed');
    expect(robotState(run('completed', 0, 'test'))).toBe('failed');
    expect(robotState(run('terminated', 2, 'signed'))).toBe('stopped');
  });
});
