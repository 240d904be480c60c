import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopes } from '../../src/db/schema/envelopes.js';
import { robotCalls } from '../../src/db/schema/robot-calls.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { createTemplate, deleteTemplate, updateTemplate } from '../../src/documents/templates/repo.js';
import { voidEnvelope } from '../../src/signing/envelopes.js';
import { PUBLIC, ROBOT_CODE, robotWorld, type RobotWorld } from '../helpers/robot.js';

/**
 * The robot end to end against the emulated portal: a deal moved to a stage fires it, the job makes
 * and sends the document, signers act through the public signing routes, and the portal ends up
 * with the workflow answered exactly once, the trigger executed and the timeline telling the story.
 */
describe('robot "Send document for signing" against the emulator', () => {
  let w: RobotWorld;
  const used = new Set<string>();
  beforeAll(async () => {
    w = await robotWorld();
  });
  afterAll(() => w?.close());

  async function fire(stageId: string, properties: Record<string, unknown>, extra: { timeoutDuration?: number } = {}) {
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId, properties, ...extra });
    const dealId = w.dealNotOn(stageId, used);
    used.add(dealId);
    const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId });
    const robot = move.robots.find((r) => r.code === ROBOT_CODE)!;
    // Detach so later tests choose their own settings for the next move.
    w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== stageId);
    return { dealId: Number(dealId), robot };
  }
  const sendsFor = (token: string) => w.emu.control.eventSends(w.memberId).filter((s) => s.eventToken === token);
  const timelineOf = (dealId: number) => w.emu.control.timeline(w.memberId, { entityTypeId: 2, entityId: dealId });
  const callOf = async (token: string) => (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, token)))[0]!;

  it('registers the robot with its properties, return values and the two triggers at install', () => {
    const reg = w.emu.control.registrations(w.memberId);
    const robot = reg.robots.find((r) => r.code === ROBOT_CODE)!;
    expect(robot.useSubscription).toBe('Y');
    expect(Object.keys(robot.properties).sort()).toEqual(['client_signer', 'company_signer', 'deadline_days', 'template', 'wait']);
    expect(robot.properties.template).toMatchObject({ Type: 'select', Required: 'Y' });
    expect(Object.keys(robot.properties.template!.Options as object)).toContain('sales-contract.ru');
    expect(robot.properties.wait).toMatchObject({ Type: 'bool', Default: 'Y' });
    expect(Object.keys(robot.returnProperties).sort()).toEqual(['decline_reason', 'envelope_id', 'signed_pdf_url', 'status', 'verify_url']);
    expect(robot.name).toMatchObject({ en: 'Send document for signing', it: 'Invia documento per la firma', ru: 'Отправить документ на подпись' });
    expect(JSON.stringify(robot.filter)).toContain('CCrmDocumentLead');
    expect(JSON.stringify(robot.filter)).toContain('SmartInvoice');
    expect(reg.triggers.map((t) => t.code).sort()).toEqual(['b24sign_declined', 'b24sign_signed']);
  });

  it('stage move → 200 at once → envelope sent → both sign through the public page → signed: activity, log, comment with PDF, trigger, one event.send', async () => {
    const { dealId, robot } = await fire('PREPARATION', { template: 'sales-contract' });
    expect(robot.delivery.status).toBe(200);
    expect(JSON.parse(robot.delivery.body)).toEqual({ ok: true, duplicate: false });
    // The request only recorded the call and queued the job: no envelope yet, no REST call made.
    expect((await callOf(robot.eventToken)).status).toBe('received');
    expect(await w.services.db.select().from(envelopes).where(eq(envelopes.crmEntityId, dealId))).toHaveLength(0);

    await w.drain();
    const call = await callOf(robot.eventToken);
    expect(call.status).toBe('sent');
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, call.envelopeId!));
    expect(env).toMatchObject({ status: 'sent', crmEntityTypeId: 2, crmEntityId: dealId, robotEventToken: robot.eventToken });
    const rs = await w.recipientsOf(env!.id);
    const deal = w.st().deals.get(String(dealId))!;
    const contact = w.st().contacts.get(String(deal.CONTACT_ID))!;
    expect(rs.map((r) => [r.party, r.email])).toEqual([
      ['company', `user${deal.ASSIGNED_BY_ID}@example.com`],
      ['client', (contact.EMAIL as { VALUE: string }[])[0]!.VALUE],
    ]);
    // "sent to …" is in the workflow log; the robot is still waiting.
    const run = w.emu.control.workflow(w.memberId, robot.eventToken)!;
    expect(run.status).toBe('running');
    expect(run.logs.map((l) => l.message).join('\n')).toContain(rs[0]!.name);
    expect(sendsFor(robot.eventToken)).toHaveLength(0);
    let tl = timelineOf(dealId);
    expect(tl.filter((e) => e.kind === 'activity')).toHaveLength(1);
    expect(tl.filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text))).toEqual([expect.stringContaining('sent for signing')]);

    await w.act(rs[0]!.id, { sign: true });
    await w.drain();
    await w.act(rs[1]!.id, { sign: true });
    await w.drain();

    tl = timelineOf(dealId);
    const activity = tl.filter((e) => e.kind === 'activity');
    expect(activity).toHaveLength(1);
    const layout = activity[0]!.layout as any;
    expect(layout.header.tags.status).toEqual({ title: 'Signed', type: 'success' });
    expect(layout.footer.buttons.open.action.uri).toContain(`params%5BenvelopeId%5D=${env!.id}`);
    expect(layout.footer.buttons.pdf.action.uri).toMatch(new RegExp(`^${PUBLIC}/s/final/`));
    expect(activity[0]!.fields.completed).toBe('Y');
    const logs = tl.filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text));
    expect(logs).toHaveLength(5);
    expect(logs[0]).toContain('sent for signing');
    expect(logs.filter((l) => l.includes('opened'))).toHaveLength(2);
    expect(logs.filter((l) => l.includes(' signed '))).toHaveLength(2);
    const comments = tl.filter((e) => e.kind === 'comment');
    expect(comments).toHaveLength(1);
    expect(comments[0]!.files).toEqual([{ name: `${env!.publicId}.pdf`, bytes: expect.any(Number) }]);
    expect(comments[0]!.files![0]!.bytes).toBeGreaterThan(1000);

    expect(w.emu.control.triggerExecutions(w.memberId).filter((t) => t.ownerId === dealId)).toEqual([
      expect.objectContaining({ code: 'b24sign_signed', ownerTypeId: 2, ownerId: dealId }),
    ]);
    const sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.accepted).toBe(true);
    expect(sends[0]!.returnValues).toMatchObject({ envelope_id: env!.id, status: 'signed', verify_url: `${PUBLIC}/v/${env!.publicId}`, decline_reason: '' });
    // The signed PDF link works from outside.
    const pdf = await w.app.request(String(sends[0]!.returnValues.signed_pdf_url).replace(PUBLIC, ''));
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(w.emu.control.workflow(w.memberId, robot.eventToken)!.status).toBe('completed');

    // A replayed delivery (same event_token) is acknowledged and creates nothing.
    const before = { timeline: timelineOf(dealId).length, sends: w.emu.control.eventSends(w.memberId).length, envs: (await w.services.db.select().from(envelopes)).length };
    const replay = await w.app.request(`${PUBLIC}/b24/robots/send-for-signing`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(robot.delivery.form).toString(),
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ ok: true, duplicate: true });
    await w.drain(3);
    expect({ timeline: timelineOf(dealId).length, sends: w.emu.control.eventSends(w.memberId).length, envs: (await w.services.db.select().from(envelopes)).length }).toEqual(before);
  });

  it('a decline returns status "declined" with the reason, executes the "declined" trigger and logs the reason', async () => {
    const { dealId, robot } = await fire('PREPAYMENT_INVOICE', { template: 'nda.it', deadline_days: '7' });
    await w.drain();
    const call = await callOf(robot.eventToken);
    const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, call.envelopeId!));
    expect(env!.lang).toBe('it');
    expect(env!.expiresAt!.getTime() - env!.sentAt!.getTime()).toBe(7 * 86_400_000);
    const rs = await w.recipientsOf(env!.id);
    await w.act(rs[0]!.id, { sign: true });
    await w.act(rs[1]!.id, { decline: 'Prezzo troppo alto' });
    await w.drain();
    const sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'declined', decline_reason: 'Prezzo troppo alto', signed_pdf_url: '', envelope_id: env!.id });
    expect(w.emu.control.triggerExecutions(w.memberId).filter((t) => t.ownerId === dealId).map((t) => t.code)).toEqual(['b24sign_declined']);
    const tl = timelineOf(dealId);
    expect((tl.find((e) => e.kind === 'activity')!.layout as any).header.tags.status).toEqual({ title: 'Rifiutato', type: 'failure' });
    expect(tl.filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text)).some((t) => t.includes('Prezzo troppo alto'))).toBe(true);
    expect(tl.filter((e) => e.kind === 'comment')).toHaveLength(0);
  });

  it('with "wait" off, event.send goes right after sending (status "sent") and never again', async () => {
    const { robot } = await fire('WON', { template: 'invoice', wait: 'N' });
    await w.drain();
    let sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'sent', signed_pdf_url: '' });
    expect(w.emu.control.workflow(w.memberId, robot.eventToken)!.status).toBe('completed');
    const call = await callOf(robot.eventToken);
    expect(call.wait).toBe('N');
    const rs = await w.recipientsOf(call.envelopeId!);
    await w.act(rs[0]!.id, { sign: true });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain();
    sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
  });

  it('bad properties end the robot at once with status "error" and a clear LOG_MESSAGE: no template; a contact without e-mail', async () => {
    const noTemplate = await fire('LOSE', { template: '' });
    await w.drain();
    let sends = sendsFor(noTemplate.robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'error', envelope_id: '' });
    expect(sends[0]!.logMessage).toMatch(/no template is chosen/);
    expect((await callOf(noTemplate.robot.eventToken)).status).toBe('failed');

    // The next deal's contact loses its e-mail address.
    const dealId = w.dealNotOn('NEW', used);
    const deal = w.st().deals.get(dealId)!;
    const contact = w.st().contacts.get(String(deal.CONTACT_ID))!;
    const saved = contact.EMAIL;
    contact.EMAIL = [];
    try {
      w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId: 'NEW', properties: { template: 'sales-contract' } });
      used.add(dealId);
      const move = await w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId: 'NEW' });
      w.st().robotAttachments = w.st().robotAttachments.filter((a) => a.stageId !== 'NEW');
      await w.drain();
      sends = sendsFor(move.robots[0]!.eventToken);
      expect(sends).toHaveLength(1);
      expect(sends[0]!.returnValues.status).toBe('error');
      expect(sends[0]!.logMessage).toMatch(/contact .+ has no e-mail address/);
      expect((await w.services.db.select().from(envelopes).where(eq(envelopes.crmEntityId, Number(dealId))))).toHaveLength(0);
    } finally {
      contact.EMAIL = saved;
    }
    // An unknown template id and a malformed setting are errors too, not hangs.
    const missing = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: w.dealNotOn('X', used) }, properties: { template: 'tpl_doesnotexist' } });
    const badDays = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: w.dealNotOn('X', used) }, properties: { template: 'nda', deadline_days: 'soon' } });
    await w.drain();
    expect(sendsFor(missing.eventToken)[0]!.logMessage).toMatch(/tpl_doesnotexist" no longer exists/);
    expect(sendsFor(badDays.eventToken)[0]!.logMessage).toMatch(/"Deadline, days" has an unusable value "soon"/);
  });

  it('a stale token (the workflow stopped waiting) is logged and reported into the timeline instead', async () => {
    const { dealId, robot } = await fire('PREPARATION', { template: 'sales-contract' }, { timeoutDuration: 1 });
    await w.drain();
    const call = await callOf(robot.eventToken);
    const rs = await w.recipientsOf(call.envelopeId!);
    await new Promise((r) => setTimeout(r, 1100)); // the robot's 1-second timeout passes on the portal
    await w.act(rs[0]!.id, { sign: true });
    await w.act(rs[1]!.id, { sign: true });
    await w.drain();
    const sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(0); // refused with ACCESS_DENIED before being recorded
    const refused = w.emu.control.calls({ memberId: w.memberId, method: 'bizproc.event.send', includeBatchParts: true }).filter((c) => c.params.EVENT_TOKEN === robot.eventToken);
    expect(refused.map((c) => c.error)).toEqual(['ACCESS_DENIED']);
    const notes = timelineOf(dealId).filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text));
    expect(notes.filter((t) => t.includes('stopped waiting'))).toHaveLength(1);
    expect((await callOf(robot.eventToken)).error).toMatch(/ACCESS_DENIED/);
    // The rest of the story is told as usual.
    expect(timelineOf(dealId).filter((e) => e.kind === 'comment')).toHaveLength(1);
    // No job is left retrying.
    const live = await w.services.db.select().from(jobs).where(eq(jobs.status, 'queued'));
    expect(live.filter((j) => j.kind !== 'signing.expire' && j.kind !== 'signing.remind' && j.kind !== 'blobs.sweep')).toEqual([]);
  });

  it('an envelope that expires answers the workflow with status "expired" and says so on the timeline', async () => {
    const { dealId, robot } = await fire('PREPARATION', { template: 'nda', deadline_days: '1' });
    await w.drain();
    expect(sendsFor(robot.eventToken)).toHaveLength(0);
    w.clock.advance(2 * 86_400_000);
    await w.drain();
    const sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'expired', signed_pdf_url: '', decline_reason: '' });
    expect(timelineOf(dealId).filter((e) => e.kind === 'logmessage').map((e) => String(e.fields.text)).some((t) => t.includes('expired before everyone signed'))).toBe(true);
    expect(w.emu.control.triggerExecutions(w.memberId).filter((t) => t.ownerId === dealId)).toEqual([]);
  });

  it('a voided envelope answers the workflow with status "voided" and the reason goes on the timeline', async () => {
    const { dealId, robot } = await fire('PREPAYMENT_INVOICE', { template: 'invoice' });
    await w.drain();
    const call = await callOf(robot.eventToken);
    await voidEnvelope(w.services, { portalId: call.portalId, envelopeId: call.envelopeId!, reason: 'Wrong price list', who: { actor: 'user:1' } });
    await w.drain();
    const sends = sendsFor(robot.eventToken);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.returnValues).toMatchObject({ status: 'voided', decline_reason: '' });
    expect(sends[0]!.logMessage).toContain('Wrong price list');
    const tl = timelineOf(dealId);
    expect(tl.filter((e) => e.kind === 'logmessage').some((e) => String(e.fields.text).includes('was voided: Wrong price list'))).toBe(true);
    expect((tl.find((e) => e.kind === 'activity')!.layout as any).header.tags.status.title).toBe('Voided');
  });

  it('works on leads and contacts too (workflow robots): the envelope and its activity are bound to that record', async () => {
    const lead = [...w.st().leads.values()][0]!;
    const onLead = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'lead', id: String(lead.ID) }, properties: { template: 'nda', client_signer: 'Buyer <buyer@lead.example>' } });
    const contact = [...w.st().contacts.values()].find((c) => Array.isArray(c.EMAIL) && (c.EMAIL as unknown[]).length)!;
    const onContact = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'contact', id: String(contact.ID) }, properties: { template: 'nda' } });
    await w.drain();
    for (const [fired, typeId, id] of [[onLead, 1, Number(lead.ID)], [onContact, 3, Number(contact.ID)]] as const) {
      const call = await callOf(fired.eventToken);
      expect(call.status, String(call.error)).toBe('sent');
      const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, call.envelopeId!));
      expect([env!.crmEntityTypeId, env!.crmEntityId]).toEqual([typeId, id]);
      expect(w.emu.control.timeline(w.memberId, { entityTypeId: typeId, entityId: id }).filter((e) => e.kind === 'activity')).toHaveLength(1);
    }
    const leadSigners = await w.recipientsOf((await callOf(onLead.eventToken)).envelopeId!);
    expect(leadSigners[1]).toMatchObject({ party: 'client', email: 'buyer@lead.example' });
    const contactSigners = await w.recipientsOf((await callOf(onContact.eventToken)).envelopeId!);
    expect(contactSigners[1]).toMatchObject({ party: 'client', crmContactId: Number(contact.ID) });
  });

  it('keeps the template select in sync with the portal templates: create, rename and delete each push one bizproc.robot.update', async () => {
    const { portalId } = w;
    const updates = () => w.emu.control.calls({ memberId: w.memberId, method: 'bizproc.robot.update' }).length;
    const options = () => w.emu.control.registrations(w.memberId).robots.find((r) => r.code === ROBOT_CODE)!.properties.template!.Options as Record<string, string>;
    const before = updates();
    const t = await createTemplate(w.services.db, w.services.ids, { portalId, input: { name: 'Rental agreement', language: 'en', source: { type: 'builtin', layout: 'sales-contract' } } });
    await w.drain();
    expect(options()[t.id]).toBe('Rental agreement');
    expect(options()['nda.ru']).toBeTruthy();
    expect(updates()).toBe(before + 1);
    await updateTemplate(w.services.db, { portalId, id: t.id, patch: { name: 'Lease' }, now: w.clock.now() });
    await updateTemplate(w.services.db, { portalId, id: t.id, patch: { kind: 'contract' }, now: w.clock.now() }); // not visible: no update
    await w.drain();
    expect(options()[t.id]).toBe('Lease');
    expect(updates()).toBe(before + 2);
    // The robot can use it at once.
    const fired = await w.emu.control.fireRobot({ memberId: w.memberId, code: ROBOT_CODE, entity: { kind: 'deal', id: w.dealNotOn('X', used) }, properties: { template: t.id } });
    await w.drain();
    expect((await callOf(fired.eventToken)).status).toBe('sent');
    await deleteTemplate(w.services.db, { portalId, id: t.id, now: w.clock.now() });
    await w.drain();
    expect(options()[t.id]).toBeUndefined();
    expect(updates()).toBe(before + 3);
  });

  it('refuses a forged delivery (wrong application_token) with 401 and writes nothing', async () => {
    const before = (await w.services.db.select().from(robotCalls)).length;
    const res = await w.app.request(`${PUBLIC}/b24/robots/send-for-signing`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ workflow_id: 'x', code: ROBOT_CODE, 'document_id[0]': 'crm', 'document_id[1]': 'CCrmDocumentDeal', 'document_id[2]': 'DEAL_1', event_token: 'forged', 'auth[member_id]': w.memberId, 'auth[application_token]': 'nope', 'auth[domain]': 'x.bitrix24.test' }).toString(),
    });
    expect(res.status).toBe(401);
    expect((await w.services.db.select().from(robotCalls)).length).toBe(before);
  });

  it('answers a malformed delivery 401 with a wrong token and 400 naming the fields with the right one (authentication first)', async () => {
    const token = [...w.st().apps.values()][0]!.applicationToken;
    const post = (applicationToken: string) =>
      w.app.request(`${PUBLIC}/b24/robots/send-for-signing`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        // No document_id and no event_token.
        body: new URLSearchParams({ workflow_id: 'x', code: ROBOT_CODE, 'auth[member_id]': w.memberId, 'auth[application_token]': applicationToken, 'auth[domain]': 'x.bitrix24.test' }).toString(),
      });
    expect((await post('nope')).status).toBe(401);
    const res = await post(token);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { fields: string[] } } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.fields).toEqual(expect.arrayContaining(['document_id', 'event_token']));
  });
});

describe('robot: a stage move of several deals at once', () => {
  let w: RobotWorld;
  beforeAll(async () => {
    w = await robotWorld({ concurrency: 1 });
  });
  afterAll(() => w?.close());

  it('shares CRM reads between waiting deliveries (two per batch) and still gives every deal its own data', async () => {
    w.emu.control.attachRobot({ memberId: w.memberId, code: ROBOT_CODE, stageId: 'PREPARATION', properties: { template: 'sales-contract' } });
    const deals = [...w.st().deals.values()].filter((d) => String(d.CATEGORY_ID) === '0' && d.STAGE_ID !== 'PREPARATION').slice(0, 3).map((d) => String(d.ID));
    const moves = await Promise.all(deals.map((dealId) => w.emu.control.moveDeal({ memberId: w.memberId, dealId, stageId: 'PREPARATION' })));
    const before = w.emu.control.calls({ memberId: w.memberId, includeBatchParts: false }).length;
    await w.drain();
    const reads = w.emu.control.calls({ memberId: w.memberId, includeBatchParts: true }).slice(before).filter((c) => c.method === 'crm.deal.get');
    expect(reads).toHaveLength(3);
    const crmBatches = w.emu.control.calls({ memberId: w.memberId, method: 'batch' }).filter((c) => JSON.stringify(c.params).includes('crm.deal.get'));
    expect(crmBatches).toHaveLength(2);
    for (const [i, m] of moves.entries()) {
      const call = (await w.services.db.select().from(robotCalls).where(eq(robotCalls.eventToken, m.robots[0]!.eventToken)))[0]!;
      expect(call.status).toBe('sent');
      const [env] = await w.services.db.select().from(envelopes).where(eq(envelopes.id, call.envelopeId!));
      expect(env!.crmEntityId).toBe(Number(deals[i]));
      const deal = w.st().deals.get(deals[i]!)!;
      const contact = w.st().contacts.get(String(deal.CONTACT_ID))!;
      const rs = await w.recipientsOf(env!.id);
      expect(rs.map((r) => r.email)).toEqual([`user${deal.ASSIGNED_BY_ID}@example.com`, (contact.EMAIL as { VALUE: string }[])[0]!.VALUE]);
      expect(env!.title).toContain(String(deal.TITLE));
    }
  });
});
