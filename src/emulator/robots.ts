/**
 * Automation: moving a deal to a stage starts the robots a user attached to that stage; each run POSTs
 * the robot payload (reference §5.3) with a fresh workflow_id and event_token to the robot's HANDLER.
 * Also ONCRMDEALUPDATE to bound handlers, and app triggers that move deals.
 */
import { deliver, type Delivery } from './deliver.js';
import { authBlock, eventPayload, ts } from './payloads.js';
import { digits, hex } from './random.js';
import type { EmulatorState } from './state.js';
import { issueTokens } from './tokens.js';
import type { Portal, RobotAttachment, Row, WorkflowRun } from './types.js';

const DOC_CLASS: Record<string, [string, string]> = {
  deal: ['CCrmDocumentDeal', 'DEAL'],
  lead: ['CCrmDocumentLead', 'LEAD'],
  contact: ['CCrmDocumentContact', 'CONTACT'],
  company: ['CCrmDocumentCompany', 'COMPANY'],
};

export interface RobotFiring {
  code: string;
  workflowId: string;
  eventToken: string;
  delivery: Delivery;
}

/** `664fa13bbbb410.99176768`: 14 hex, a dot, 8 digits (the core's uniqid format). */
const workflowId = () => `${hex(7)}.${digits(8)}`;

export async function fireRobot(
  st: EmulatorState,
  portal: Portal,
  a: Pick<RobotAttachment, 'clientId' | 'code' | 'properties' | 'timeoutDuration' | 'authUserId'>,
  entity: { kind: keyof typeof DOC_CLASS; id: string },
): Promise<RobotFiring> {
  const run = startRobot(st, portal, a, entity);
  const delivery = await deliver(st, portal, 'robot', run.handler, run.payload);
  return { code: a.code, workflowId: run.workflowId, eventToken: run.eventToken, delivery };
}

/**
 * Starts a robot's workflow run (the portal now waits for its event_token) and builds the payload its
 * handler is sent, without sending it: fireRobot delivers it; a bench delivers it from its own process.
 */
export function startRobot(
  st: EmulatorState,
  portal: Portal,
  a: Pick<RobotAttachment, 'clientId' | 'code' | 'properties' | 'timeoutDuration' | 'authUserId'>,
  entity: { kind: keyof typeof DOC_CLASS; id: string },
): { handler: string; payload: Record<string, unknown>; workflowId: string; eventToken: string } {
  const robot = portal.robots.find((r) => r.clientId === a.clientId && r.code === a.code);
  const app = portal.apps.get(a.clientId);
  if (!robot || !app) throw new Error(`emulator: robot ${a.code} is not registered by an installed app`);
  const [cls, type] = DOC_CLASS[entity.kind]!;
  const wf = workflowId();
  const activityName = `A${digits(5)}_${digits(5)}_${digits(5)}_${digits(5)}`;
  const eventToken = `${wf}|${activityName}|${hex(16)}.${hex(32)}`;
  const properties: Row = {};
  for (const [k, def] of Object.entries(robot.properties)) {
    properties[k] = a.properties[k] ?? (def as Row).Default ?? '';
  }
  for (const [k, v] of Object.entries(a.properties)) if (!(k in properties)) properties[k] = v;
  const subscribe = robot.useSubscription !== 'N';
  const run: WorkflowRun = {
    workflowId: wf, eventToken, clientId: a.clientId, code: a.code, documentId: ['crm', cls, `${type}_${entity.id}`],
    startedAt: st.now(), timeoutDuration: a.timeoutDuration, status: subscribe ? 'running' : 'completed', logs: [],
  };
  portal.workflows.set(eventToken, run);
  const tokens = issueTokens(st, portal, app, a.authUserId ?? robot.authUserId);
  const payload = {
    workflow_id: wf,
    code: a.code,
    document_id: run.documentId,
    document_type: ['crm', cls, type],
    event_token: eventToken,
    properties,
    use_subscription: subscribe ? 'Y' : 'N',
    timeout_duration: String(a.timeoutDuration),
    ts: ts(st),
    auth: authBlock(st, portal, app, tokens, { refresh: true }),
  };
  return { handler: robot.handler, payload, workflowId: wf, eventToken };
}

/** Sends an event to every handler bound for it (all apps), with the installer's token like a user change. */
export async function fireEvent(st: EmulatorState, portal: Portal, event: string, data: unknown, opts: { withToken?: boolean } = {}): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (const b of portal.events.filter((e) => e.event === event.toUpperCase() && !e.offline)) {
    const app = portal.apps.get(b.clientId);
    if (!app || !app.installed) continue; // not delivered before installFinish (reference §1.2)
    const t = opts.withToken === false ? undefined : issueTokens(st, portal, app, app.installerUserId);
    out.push(await deliver(st, portal, 'event', b.handler, eventPayload(st, portal, app, t, event.toUpperCase(), b.id, data)));
  }
  return out;
}

export interface StageMove {
  dealId: string;
  from: string;
  to: string;
  robots: RobotFiring[];
  events: Delivery[];
}

/** Moves a deal and runs what Bitrix24 would: robots on the new stage, then ONCRMDEALUPDATE. */
export async function moveDeal(st: EmulatorState, portal: Portal, dealId: string, stageId: string): Promise<StageMove> {
  const deal = portal.deals.get(dealId);
  if (!deal) throw new Error(`emulator: no deal ${dealId}`);
  const status = portal.statuses.find((s) => s.ENTITY_ID === 'DEAL_STAGE' && s.STATUS_ID === stageId);
  if (!status) throw new Error(`emulator: no deal stage ${stageId}`);
  const from = String(deal.STAGE_ID);
  const semantic = status.SEMANTICS === 'S' ? 'S' : status.SEMANTICS === 'F' ? 'F' : 'P';
  Object.assign(deal, {
    STAGE_ID: stageId, CATEGORY_ID: String(status.CATEGORY_ID), STAGE_SEMANTIC_ID: semantic, CLOSED: semantic === 'P' ? 'N' : 'Y',
    DATE_MODIFY: new Date(st.now()).toISOString().replace(/\.\d{3}Z$/, '+00:00'), MOVED_TIME: new Date(st.now()).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
  });
  const robots: RobotFiring[] = [];
  if (from !== stageId) {
    for (const a of portal.robotAttachments.filter((x) => x.stageId === stageId)) {
      const app = portal.apps.get(a.clientId);
      if (!app) continue;
      robots.push(await fireRobot(st, portal, a, { kind: 'deal', id: dealId }));
    }
  }
  const events = await fireEvent(st, portal, 'ONCRMDEALUPDATE', { FIELDS: { ID: dealId } });
  return { dealId, from, to: stageId, robots, events };
}
