/** bizproc.robot.* and bizproc.activity.* registration, bizproc.event.send, bizproc.activity.log (reference §5). */
import { asObject, param, RestError, type MethodCtx, type MethodTable } from '../envelope.js';
import type { RobotRecord, Row, WorkflowRun } from '../types.js';

const invalid = (d: string) => new RestError(400, 'ERROR_ACTIVITY_VALIDATION_FAILURE', d);
const adminError = () => new RestError(400, 'ACCESS_DENIED', 'Access denied!');
const notFound = () => new RestError(400, 'ERROR_ACTIVITY_NOT_FOUND', 'Activity or Robot not found!');

function hostOf(u: string | undefined): string | undefined {
  try {
    return u ? new URL(u).host : undefined;
  } catch {
    return undefined;
  }
}

/** Validates add/update fields the way the core does; returns the normalised record fields. */
function validate(ctx: MethodCtx, f: Row, partial: boolean): Partial<RobotRecord> {
  const out: Partial<RobotRecord> = {};
  if (!partial || f.HANDLER !== undefined) {
    const handler = String(f.HANDLER ?? '');
    if (!handler) throw invalid('Empty activity HANDLER!');
    if (!/^https?:\/\//i.test(handler)) throw new RestError(400, 'ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported handler protocol');
    const appHost = hostOf(ctx.app.handlerBase ?? ctx.app.installUrl);
    if (appHost && hostOf(handler) !== appHost) throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL');
    out.handler = handler;
  }
  if (!partial || f.NAME !== undefined) {
    if (!f.NAME || (typeof f.NAME === 'object' && !Object.keys(f.NAME).length)) throw invalid('Empty activity NAME!');
    out.name = f.NAME;
  }
  for (const [key, target] of [['PROPERTIES', 'properties'], ['RETURN_PROPERTIES', 'returnProperties']] as const) {
    if (f[key] === undefined) continue;
    if (typeof f[key] !== 'object' || Array.isArray(f[key]) && (f[key] as unknown[]).length) throw invalid('Wrong properties array!');
    const props = asObject(f[key]);
    for (const [k, v] of Object.entries(props)) {
      if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(k)) throw invalid(`Wrong property key ${k}!`);
      if (!asObject(v).Name) throw invalid(`Empty property NAME ${k}!`);
    }
    out[target] = props as Record<string, Row>;
  }
  if (f.DOCUMENT_TYPE !== undefined) {
    if (!Array.isArray(f.DOCUMENT_TYPE) || f.DOCUMENT_TYPE.length !== 3) throw invalid('Wrong activity DOCUMENT_TYPE!');
    out.documentType = f.DOCUMENT_TYPE.map(String);
  }
  if (f.FILTER !== undefined) {
    if (typeof f.FILTER !== 'object') throw invalid('Wrong activity FILTER!');
    out.filter = f.FILTER;
  }
  if (f.USE_PLACEMENT !== undefined) out.usePlacement = String(f.USE_PLACEMENT);
  if (f.PLACEMENT_HANDLER !== undefined) out.placementHandler = String(f.PLACEMENT_HANDLER);
  if ((out.usePlacement ?? 'N') === 'Y' && !(out.placementHandler ?? '')) throw invalid('Empty PLACEMENT_HANDLER!');
  if (f.USE_SUBSCRIPTION !== undefined) out.useSubscription = String(f.USE_SUBSCRIPTION);
  if (f.AUTH_USER_ID !== undefined) out.authUserId = String(f.AUTH_USER_ID);
  if (f.DESCRIPTION !== undefined) out.description = f.DESCRIPTION;
  return out;
}

function family(isRobot: boolean): MethodTable {
  const prefix = isRobot ? 'bizproc.robot' : 'bizproc.activity';
  const mine = (ctx: MethodCtx) => ctx.portal.robots.filter((r) => r.clientId === ctx.app.clientId && r.isRobot === isRobot);
  return {
    [`${prefix}.add`]: {
      scope: ['bizproc'], admin: true, adminError,
      handler: (ctx) => {
        const f = ctx.params;
        if (!Object.keys(f).length) throw invalid('Empty data!');
        const code = String(param(f, 'CODE') ?? '');
        if (!code) throw invalid('Empty activity code!');
        if (!/^[a-zA-Z0-9._-]+$/.test(code)) throw invalid('Wrong activity code!');
        const v = validate(ctx, f, false);
        if (mine(ctx).some((r) => r.code === code)) {
          throw new RestError(400, 'ERROR_ACTIVITY_ALREADY_INSTALLED', 'Activity or Robot already installed!');
        }
        ctx.portal.robots.push({
          clientId: ctx.app.clientId, code, handler: v.handler!, authUserId: v.authUserId ?? ctx.token.userId,
          useSubscription: v.useSubscription ?? '', name: v.name, description: v.description ?? '', properties: v.properties ?? {},
          returnProperties: v.returnProperties ?? {}, ...(v.documentType ? { documentType: v.documentType } : {}),
          ...(v.filter ? { filter: v.filter } : {}), usePlacement: v.usePlacement ?? 'N',
          ...(v.placementHandler ? { placementHandler: v.placementHandler } : {}), isRobot,
        });
        return { result: true };
      },
    },
    [`${prefix}.update`]: {
      scope: ['bizproc'], admin: true, adminError,
      handler: (ctx) => {
        const code = String(param(ctx.params, 'CODE') ?? '');
        const r = mine(ctx).find((x) => x.code === code);
        if (!r) throw notFound();
        const fields = asObject(param(ctx.params, 'FIELDS'));
        if (!Object.keys(fields).length) throw invalid('Empty data!');
        Object.assign(r, validate(ctx, fields, true));
        return { result: true };
      },
    },
    [`${prefix}.list`]: {
      scope: ['bizproc'], admin: true, adminError,
      handler: (ctx) => ({ result: mine(ctx).map((r) => r.code) }),
    },
    [`${prefix}.delete`]: {
      scope: ['bizproc'], admin: true, adminError,
      handler: (ctx) => {
        const code = String(param(ctx.params, 'CODE') ?? '');
        const r = mine(ctx).find((x) => x.code === code);
        if (!r) throw notFound();
        ctx.portal.robots = ctx.portal.robots.filter((x) => x !== r);
        ctx.portal.robotAttachments = ctx.portal.robotAttachments.filter((a) => !(a.clientId === r.clientId && a.code === code));
        return { result: true };
      },
    },
  };
}

/** The run behind an event token, closing it first if its timeout has passed (output IsTimeout=1). */
export function liveRun(ctx: MethodCtx, token: string): WorkflowRun {
  const run = ctx.portal.workflows.get(token);
  if (!run || run.clientId !== ctx.app.clientId) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
  if (run.status === 'running' && run.timeoutDuration > 0 && ctx.st.now() > run.startedAt + run.timeoutDuration * 1000) {
    run.status = 'terminated';
    run.returnValues = { IsTimeout: 1 };
  }
  if (run.status === 'terminated') throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
  return run;
}

export const bizprocMethods: MethodTable = {
  ...family(true),
  ...family(false),
  'bizproc.event.send': {
    scope: ['bizproc'],
    handler: (ctx) => {
      const token = String(param(ctx.params, 'EVENT_TOKEN', 'event_token') ?? '');
      const run = liveRun(ctx, token);
      const given = asObject(param(ctx.params, 'RETURN_VALUES', 'return_values'));
      const robot = ctx.portal.robots.find((r) => r.clientId === run.clientId && r.code === run.code);
      const known = new Map(Object.keys(robot?.returnProperties ?? {}).map((k) => [k.toLowerCase(), k]));
      // Keys match RETURN_PROPERTIES case-insensitively; unknown keys are dropped silently (reference §5.4).
      const kept: Row = {};
      for (const [k, v] of Object.entries(given)) {
        const name = known.get(k.toLowerCase());
        if (name) kept[name] = v;
      }
      const accepted = run.status === 'running';
      const logMessage = param(ctx.params, 'LOG_MESSAGE', 'log_message');
      ctx.portal.eventSends.push({ at: ctx.st.now(), eventToken: token, returnValues: kept, ...(logMessage ? { logMessage: String(logMessage) } : {}), accepted });
      // The first send closes the robot; its token is then no longer "valid and current", and the
      // documented answer to such a token is 403 ACCESS_DENIED "Access denied!"
      // (b24restdocs api-reference/bizproc/bizproc-robot/bizproc-event-send.md, "Possible Error Codes").
      if (!accepted) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
      run.status = 'completed';
      run.returnValues = kept;
      if (logMessage) run.logs.push({ at: ctx.st.now(), message: String(logMessage) });
      return { result: true };
    },
  },
  'bizproc.activity.log': {
    scope: ['bizproc'],
    handler: (ctx) => {
      const token = String(param(ctx.params, 'EVENT_TOKEN', 'event_token') ?? '');
      const message = String(param(ctx.params, 'LOG_MESSAGE', 'log_message') ?? '');
      const run = liveRun(ctx, token);
      if (!message) throw new RestError(400, 'ERROR_EMPTY_LOG_MESSAGE', 'Empty log message!');
      run.logs.push({ at: ctx.st.now(), message });
      return { result: true };
    },
  },
};
