/**
 * Issue 17 item 4: the robot "Send document for signing" set to sign for the company by the record's
 * responsible person falls back to the portal's default company signer (settings page) when the
 * record has none; without a default it stops as before (no company signer).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { portals } from '../../src/db/schema/portals.js';
import { robotCalls } from '../../src/db/schema/robot-calls.js';
import { ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';

describe('robot: default company signer', () => {
  let w: RobotWorld;
  const used = new Set<string>();
  beforeAll(async () => {
    w = await robotWorld();
  });
  afterAll(() => w?.close());

  async function fireWithoutResponsible(stageId: string) {
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId, properties: { template: 'sales-contract' } });
    const dealId = w.dealNotOn(stageId, used);
    used.add(dealId);
    const deal = w.st().deals.get(dealId)!;
    delete deal.ASSIGNED_BY_ID;
    const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId });
    w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== stageId);
    await w.drain();
    const token = move.robots.find((r) => r.code === ROBOT_CODE)!.eventToken;
    return (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token)))[0]!;
  }

  it('no responsible and no default: stopped; with a default signer: sent to that user for the company', async () => {
    const stopped = await fireWithoutResponsible('PREPARATION');
    expect(stopped.status).not.toBe('sent');
    expect(stopped.envelopeId).toBeNull();

    await w.services.db.update(portals).set({ settings: { companySignerUserId: 6 } }).where(eq(portals.id, w.portalId));
    const call = await fireWithoutResponsible('PREPAYMENT_INVOICE');
    expect(call.status, call.error ?? '').toBe('sent');
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, call.envelopeId!));
    const rs = await w.recipientsOf(env!.id);
    expect(rs.find((r) => r.party === 'company')).toMatchObject({ email: 'user6@example.com', b24UserId: 6 });
  });
});
