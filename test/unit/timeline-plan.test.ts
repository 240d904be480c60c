import { describe, expect, it } from 'vitest';
import type { Recipient } from '../../src/db/schema/recipients.js';
import { parseRobotSettings } from '../../src/robots/properties.js';
import { commentEntityType, hasTriggers, planEnvelope, type PlanInput } from '../../src/timeline/plan.js';

/** The outbox planner's rules, without a portal: which writes are due for an envelope in a given state. */
const rcp = (over: Partial<Recipient>): Recipient =>
  ({ id: 'rcp_a', envelopeId: 'env_1', portalId: 'prt_1', role: 'signer', party: 'company', signOrder: 1, name: 'Anna', email: 'a@x.example', status: 'invited', declineReason: null, ...over }) as Recipient;

const base = (over: Partial<PlanInput> = {}): PlanInput => ({
  env: { id: 'env_1', portalId: 'prt_1', title: 'Contract', status: 'sent', publicId: 'B24S-AAAA-BBBB-CCCC', endReason: null, lang: 'en', crmEntityTypeId: 2, crmEntityId: 7, sealedSha256: null, createdByUserId: 1 },
  recipients: [rcp({}), rcp({ id: 'rcp_b', party: 'client', signOrder: 2, name: 'Ivan', status: 'waiting' })],
  events: [{ seq: 3, type: 'sent', recipientId: null, data: {} }],
  state: { activityId: null, layoutHash: null },
  written: new Set(),
  links: { openPath: '/marketplace/view/app/?params%5BenvelopeId%5D=env_1', verifyUrl: 'https://sign.example/v/B24S-AAAA-BBBB-CCCC' },
  ...over,
});
const methods = (p: ReturnType<typeof planEnvelope>) => p.writes.map((w) => `${w.method}${w.key ? ` ${w.key}` : ''}`);

describe('timeline planner', () => {
  it('first report: the activity is added and "sent" logged; a robot that waits gets "sent to …" in its log, no reply yet', () => {
    const p = planEnvelope(base({ robot: { eventToken: 'tok', wait: true, subscribed: true } }));
    expect(methods(p)).toEqual(['crm.activity.configurable.add activity', 'crm.timeline.logmessage.add log:3', 'bizproc.activity.log robot:log:sent']);
    expect(p.seq).toBe(3);
  });

  it('written keys are never planned again; an unchanged layout is not re-sent', () => {
    const first = planEnvelope(base());
    const again = planEnvelope(base({ state: { activityId: 11, layoutHash: first.layoutHash }, written: new Set(['activity', 'log:3']) }));
    expect(again.writes).toEqual([]);
    const changed = planEnvelope(base({ state: { activityId: 11, layoutHash: 'old' }, written: new Set(['activity', 'log:3']) }));
    expect(methods(changed)).toEqual(['crm.activity.configurable.update']);
  });

  it('with "wait" off the reply goes out with the first report (status sent), and only once', () => {
    const robot = { eventToken: 'tok', wait: false, subscribed: true };
    const p = planEnvelope(base({ robot }));
    const reply = p.writes.find((w) => w.key === 'robot:reply')!;
    expect((reply.params.RETURN_VALUES as Record<string, string>).status).toBe('sent');
    expect(p.writes.some((w) => w.key === 'robot:log:sent')).toBe(false);
    expect(planEnvelope(base({ robot, written: new Set(['robot:reply']) })).writes.some((w) => w.key === 'robot:reply')).toBe(false);
  });

  it('a completed envelope waits for its seal before the reply, the trigger and the comment', () => {
    const robot = { eventToken: 'tok', wait: true, subscribed: true };
    const done = { recipients: [rcp({ status: 'signed' }), rcp({ id: 'rcp_b', party: 'client', signOrder: 2, name: 'Ivan', status: 'signed' })] };
    const unsealed = planEnvelope(base({ ...done, robot, env: { ...base().env, status: 'completed' }, events: [{ seq: 9, type: 'completed', recipientId: null, data: {} }] }));
    expect(unsealed.writes.map((w) => w.key).filter(Boolean)).toEqual(['activity']);
    const pdf = new Uint8Array([37, 80, 68, 70]);
    const sealed = planEnvelope(base({ ...done, robot, sealedPdf: pdf, env: { ...base().env, status: 'completed', sealedSha256: 'ab' }, links: { ...base().links, pdfUrl: 'https://sign.example/s/final/t' }, events: [{ seq: 10, type: 'sealed', recipientId: null, data: {} }] }));
    expect(sealed.writes.map((w) => w.key).filter(Boolean)).toEqual(['activity', 'robot:reply', 'trigger:b24sign_signed', 'comment:sealed']);
    const values = sealed.writes.find((w) => w.key === 'robot:reply')!.params.RETURN_VALUES as Record<string, string>;
    expect(values).toEqual({ envelope_id: 'env_1', status: 'signed', signed_pdf_url: 'https://sign.example/s/final/t', verify_url: 'https://sign.example/v/B24S-AAAA-BBBB-CCCC', decline_reason: '' });
    const comment = sealed.writes.find((w) => w.key === 'comment:sealed')!;
    // However small, a file never rides in a batch beside the robot's reply (ERROR_BATCH_LENGTH_EXCEEDED refuses the whole batch).
    expect(comment.alone).toBe(true);
    expect(sealed.writes.filter((w) => w.alone).map((w) => w.key)).toEqual(['comment:sealed']);
    expect((comment.params.fields as { FILES: string[][] }).FILES).toEqual([['B24S-AAAA-BBBB-CCCC.pdf', 'JVBERg==']]);
  });

  it('triggers only where Bitrix24 has them: a contact or a company hears the outcome through event.send alone', () => {
    const robot = { eventToken: 'tok', wait: true, subscribed: true };
    const done = { recipients: [rcp({ status: 'signed' }), rcp({ id: 'rcp_b', party: 'client', signOrder: 2, name: 'Ivan', status: 'signed' })] };
    const keysFor = (crmEntityTypeId: number) =>
      planEnvelope(base({ ...done, robot, sealedPdf: new Uint8Array([37, 80, 68, 70]), env: { ...base().env, crmEntityTypeId, status: 'completed', sealedSha256: 'ab' } })).writes.map((w) => w.key).filter(Boolean);
    for (const typeId of [3, 4]) {
      expect(keysFor(typeId)).toContain('robot:reply');
      expect(keysFor(typeId).some((k) => k!.startsWith('trigger:'))).toBe(false);
    }
    for (const typeId of [1, 2, 7, 31, 1046]) expect(keysFor(typeId)).toContain('trigger:b24sign_signed');
    expect([1, 2, 3, 4, 5, 7, 31, 128].filter(hasTriggers)).toEqual([1, 2, 5, 7, 31, 128]);
  });

  it('a decline: reason in the log line, the reply and the activity; the "declined" trigger; never a comment', () => {
    const rs = [rcp({ status: 'signed' }), rcp({ id: 'rcp_b', party: 'client', signOrder: 2, name: 'Ivan', status: 'declined', declineReason: 'Too expensive' })];
    const p = planEnvelope(base({ recipients: rs, robot: { eventToken: 'tok', wait: true, subscribed: true }, env: { ...base().env, status: 'declined', endReason: 'Too expensive' }, events: [{ seq: 12, type: 'declined', recipientId: 'rcp_b', data: { reason: 'Too expensive' } }] }));
    expect(p.writes.find((w) => w.key === 'log:12')!.params).toMatchObject({ fields: { text: 'Ivan declined "Contract": Too expensive' } });
    expect((p.writes.find((w) => w.key === 'robot:reply')!.params.RETURN_VALUES as Record<string, string>)).toMatchObject({ status: 'declined', decline_reason: 'Too expensive' });
    expect(p.writes.some((w) => w.key === 'trigger:b24sign_declined')).toBe(true);
    expect(p.writes.some((w) => w.key === 'comment:sealed')).toBe(false);
    const layout = p.writes.find((w) => w.key === 'activity')!.params.layout as any;
    expect(layout.header.tags.status).toEqual({ title: 'Declined', type: 'failure' });
    expect(layout.body.blocks.reason.properties.block.properties.value).toBe('Too expensive');
  });

  it('a robot without subscription is never answered (Bitrix24 would refuse the token)', () => {
    const p = planEnvelope(base({ robot: { eventToken: 'tok', wait: false, subscribed: false } }));
    expect(p.writes.some((w) => w.method.startsWith('bizproc.'))).toBe(false);
  });

  it('comment entity types and Italian texts', () => {
    // Quotes and new invoices have their own codes (b24restdocs api-reference/crm/data-types.md#object_type); only smart processes are dynamic_<id>.
    expect([1, 2, 3, 4, 7, 31, 1038].map(commentEntityType)).toEqual(['lead', 'deal', 'contact', 'company', 'quote', 'smart_invoice', 'dynamic_1038']);
    const p = planEnvelope(base({ env: { ...base().env, lang: 'it' } }));
    expect(p.writes.find((w) => w.key === 'log:3')!.params).toMatchObject({ fields: { text: '"Contract" inviato per la firma a Anna, Ivan' } });
  });
});

describe('robot settings', () => {
  it('defaults, user_5, contact ids, e-mail expressions and unevaluated expressions', () => {
    expect(parseRobotSettings({ template: 'nda' }).settings).toEqual({ template: 'nda', companySigner: { kind: 'responsible' }, clientSigner: { kind: 'primary' }, wait: true });
    expect(parseRobotSettings({ template: 'x', company_signer: 'user_5', client_signer: 'C_12', wait: 'N', deadline_days: '14' }).settings).toEqual({
      template: 'x', companySigner: { kind: 'user', id: 5 }, clientSigner: { kind: 'contact', id: 12 }, wait: false, deadlineDays: 14,
    });
    expect(parseRobotSettings({ client_signer: 'Ivan Petrov <IVAN@Buyer.example>' }).settings.clientSigner).toEqual({ kind: 'email', email: 'ivan@buyer.example' });
    expect(parseRobotSettings({ company_signer: '{=Document:ASSIGNED_BY_ID}', client_signer: ['', '42'] }).settings).toMatchObject({ companySigner: { kind: 'responsible' }, clientSigner: { kind: 'contact', id: 42 } });
    expect(parseRobotSettings({ deadline_days: '0', client_signer: 'not an address', wait: 'maybe' }).problems.map((p) => p.property)).toEqual(['client_signer', 'wait', 'deadline_days']);
  });
});
