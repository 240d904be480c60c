/**
 * Issue 15 item 4, the short version of `npm run bench:chaos` (bench/chaos-scenario.ts): 20 deals moved at
 * once to the robot's stage, two production-build instances on PostgreSQL against the standalone
 * emulator (2 req/s, burst 50), `kill -9` of the instance holding running jobs and its restart, a
 * 502 outage, a 503 storm, the service's database connections terminated three times. Every figure
 * comes from the emulator's own records (and stuck jobs from our queue): nothing lost, nothing twice.
 * Two service instances need a database server of their own, so this runs on PostgreSQL whatever TEST_DB says.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos-scenario.js';
import { POSTGRES_REACHABLE } from '../helpers/db.js';

describe.runIf(POSTGRES_REACHABLE)('exactly once under faults (black-box, emulator records)', () => {
  it('20 envelopes through kill -9, an outage, a 503 storm and dropped database connections: nothing lost, nothing twice, nothing stuck', async () => {
    const lines: string[] = [];
    const f = await runChaos({ envelopes: 20, outageMs: 6000, stormMs: 4000, terminations: 3, settleTimeoutMs: 240_000, log: (l) => lines.push(l) });
    const why = `${JSON.stringify(f)}\n${lines.join('\n')}`;
    expect(f.envelopes, why).toBe(20);
    expect(
      {
        lost_envelopes: f.lost_envelopes, duplicate_activities: f.duplicate_activities, duplicate_log_messages: f.duplicate_log_messages, lost_log_messages: f.lost_log_messages,
        duplicate_event_sends: f.duplicate_event_sends, lost_event_sends: f.lost_event_sends, lost_notifications: f.lost_notifications, stuck_jobs: f.stuck_jobs,
      },
      why,
    ).toEqual({ lost_envelopes: 0, duplicate_activities: 0, duplicate_log_messages: 0, lost_log_messages: 0, duplicate_event_sends: 0, lost_event_sends: 0, lost_notifications: 0, stuck_jobs: 0 });
  }, 600_000);
});
