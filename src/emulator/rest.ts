/**
 * Portal REST: `/rest/<method>` and `/rest/<method>.json`, GET or POST, JSON, form or multipart bodies,
 * `auth` in the query or the body. Order of checks: injected faults → leaky bucket (503) → token (401)
 * → method (404) → scope / admin (403) → operating limit (429) → the method → envelope.
 */
import { runBatch } from './batch.js';
import { batchContract } from './contracts/batch.js';
import { checkParams, checkResult, contractFor, errorAllowed, scopeAllows } from './contracts/index.js';
import { errorBody, RestError, timeBlock, type MethodCtx, type MethodDef } from './envelope.js';
import { faultResponse, isDelayOnly, takeFault } from './faults.js';
import { isOperatingBlocked, operatingState, recordOperating, takeBucketUnit } from './limits.js';
import { methodTable } from './methods/index.js';
import { phpParseQuery } from './php-form.js';
import type { EmulatorState } from './state.js';
import { checkAccessToken } from './tokens.js';
import type { Portal, Row, TokenRecord } from './types.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const reply = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });

/** Query + body, merged the way PHP merges `$_GET` and `$_POST` into `$_REQUEST` (body wins). */
export async function readRestParams(req: Request): Promise<Row> {
  const url = new URL(req.url);
  const params: Row = phpParseQuery(url.search);
  if (req.method === 'GET' || req.method === 'HEAD') return params;
  const type = (req.headers.get('content-type') ?? '').toLowerCase();
  if (type.includes('application/json')) {
    const text = await req.text();
    if (text.trim()) {
      const parsed: unknown = JSON.parse(text); // a syntax error becomes a 400 below
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(params, parsed);
    }
  } else if (type.includes('multipart/form-data')) {
    const fd = await req.formData();
    const parts: string[] = [];
    for (const [k, v] of fd.entries()) {
      if (typeof v === 'string') parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
    }
    Object.assign(params, phpParseQuery(parts.join('&')));
  } else {
    Object.assign(params, phpParseQuery(await req.text()));
  }
  return params;
}

function withoutAuth(params: Row): Row {
  const { auth: _auth, ...rest } = params;
  return rest;
}

export interface Outcome {
  status: number;
  body: Record<string, unknown>;
}

/** One method call on an authenticated token: used by plain calls and by each batch sub-command. */
export async function executeMethod(
  st: EmulatorState,
  portal: Portal,
  token: TokenRecord,
  method: string,
  params: Row,
  batchKey?: string,
): Promise<Outcome> {
  const started = st.now();
  let ignored: string[] = [];
  const log = (status: number, error?: string) =>
    st.calls.push({
      seq: st.nextSeq(), at: started, memberId: portal.memberId, clientId: token.clientId, userId: token.userId,
      method, params: withoutAuth(params), ...(batchKey !== undefined ? { batchKey } : {}), httpStatus: status, ...(error !== undefined ? { error } : {}),
      ...(ignored.length ? { ignoredParams: ignored } : {}),
    });
  const fail = (e: RestError): Outcome => {
    log(e.status, e.code);
    return { status: e.status, body: errorBody(e) };
  };

  const def: MethodDef | undefined = methodTable().get(method);
  if (!def) return fail(new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'));
  // Every method answers as its contract (contracts/) says; one without a contract is an emulator bug.
  const contract = contractFor(method);
  if (!contract) return fail(new RestError(501, 'EMULATOR_NO_CONTRACT', `${method} has no contract in src/emulator/contracts: write down its source, parameters, scope, reply and errors first`));
  if (batchKey !== undefined && def.noBatch) return fail(new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'));
  const app = portal.apps.get(token.clientId);
  if (!app) return fail(new RestError(401, 'invalid_token', 'The access token provided is invalid.'));
  if (!scopeAllows(contract, token.scope)) {
    return fail(new RestError(403, 'insufficient_scope', 'The request requires higher privileges than provided by the access token'));
  }
  const isAdmin = portal.admins.has(token.userId);
  if (def.admin && !isAdmin) return fail(def.adminError?.() ?? new RestError(403, 'ACCESS_DENIED', 'Access denied!'));
  if (isOperatingBlocked(st, portal, method)) {
    const op = operatingState(st, portal, method);
    const e = new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.');
    log(429, e.code);
    // Real 429 bodies carry no `time`; the reset moment is added here so tests can read it (emulator extra).
    return { status: 429, body: { ...errorBody(e), time: timeBlock(st, started, op) } };
  }

  const checked = checkParams(contract, params);
  if (!checked.ok) return fail(new RestError(checked.error.status, checked.error.code, checked.error.message, checked.error.code === 'ERROR_ARGUMENT' ? { argument: checked.field } : {}));
  ignored = checked.ignored;

  const ctx: MethodCtx = { st, portal, token, app, params: checked.params, isAdmin, ...(batchKey !== undefined ? { batchKey } : {}) };
  try {
    const r = await def.handler(ctx);
    recordOperating(st, portal, method);
    const violation = checkResult(contract, r.result);
    if (violation) return fail(contractViolation(violation));
    log(200);
    const body: Record<string, unknown> = { result: r.result };
    if (r.next !== undefined) body.next = r.next;
    if (r.total !== undefined) body.total = r.total;
    body.time = timeBlock(st, started, operatingState(st, portal, method));
    return { status: 200, body };
  } catch (e) {
    if (e instanceof RestError) {
      if (!errorAllowed(contract, e.code, e.status)) {
        return fail(contractViolation(`${method} answered ${e.code || '""'} with HTTP ${e.status} ("${e.description}"), an error no source lists for it`));
      }
      return fail(e);
    }
    return fail(new RestError(500, 'INTERNAL_SERVER_ERROR', `Internal server error: ${(e as Error).message}`));
  }
}

/** The emulator strayed from its own contract: loud, so the test that provoked it fails. */
const contractViolation = (what: string) => new RestError(500, 'EMULATOR_CONTRACT_VIOLATION', what);

/** `/rest/...` on a portal host; `restPath` is what follows `/rest/`. */
export async function handleRest(st: EmulatorState, req: Request, portal: Portal, restPath: string): Promise<Response> {
  st.counters.restRequests++;
  const method = restPath.replace(/\.(json|xml)$/i, '').toLowerCase();

  const fault = takeFault(st, 'rest', method, portal.memberId);
  if (fault?.afterCall) {
    // The call runs and keeps its effects; only its answer is replaced by the failure.
    await serveRest(st, req, portal, method);
    return faultResponse(fault);
  }
  if (fault && !isDelayOnly(fault)) {
    st.calls.push({ seq: st.nextSeq(), at: st.now(), memberId: portal.memberId, method, params: {}, httpStatus: fault.status ?? 500, error: 'FAULT' });
    return faultResponse(fault);
  }
  if (fault) await new Promise((r) => setTimeout(r, fault.delayMs));
  return serveRest(st, req, portal, method);
}

async function serveRest(st: EmulatorState, req: Request, portal: Portal, method: string): Promise<Response> {
  if (!takeBucketUnit(st, portal)) {
    st.calls.push({ seq: st.nextSeq(), at: st.now(), memberId: portal.memberId, method, params: {}, httpStatus: 503, error: 'QUERY_LIMIT_EXCEEDED' });
    return reply({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' }, 503);
  }

  let params: Row;
  try {
    params = await readRestParams(req);
  } catch {
    return reply({ error: 'INVALID_REQUEST', error_description: 'Request body is not valid' }, 400);
  }
  const check = checkAccessToken(st, typeof params.auth === 'string' ? params.auth : undefined);
  const wrongPortal = check.ok && check.token.memberId !== portal.memberId;
  if (!check.ok || wrongPortal) {
    const e = check.ok
      ? new RestError(401, 'invalid_token', 'The access token provided is invalid.')
      : new RestError(check.status, check.error, check.description);
    st.calls.push({ seq: st.nextSeq(), at: st.now(), memberId: portal.memberId, method, params: withoutAuth(params), httpStatus: e.status, error: e.code });
    return reply(errorBody(e), e.status);
  }
  const token = check.token;

  if (method === 'batch') {
    const started = st.now();
    try {
      const result = await runBatch(params, (m, p, key) => executeMethod(st, portal, token, m, p, key), st.opts.batchMaxLength);
      const violation = checkResult(batchContract, result);
      if (violation) throw contractViolation(violation);
      st.calls.push({ seq: st.nextSeq(), at: started, memberId: portal.memberId, clientId: token.clientId, userId: token.userId, method, params: withoutAuth(params), httpStatus: 200 });
      return reply({ result, time: timeBlock(st, started, operatingState(st, portal, method)) });
    } catch (e) {
      const err = e instanceof RestError ? e : new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      st.calls.push({ seq: st.nextSeq(), at: started, memberId: portal.memberId, method, params: withoutAuth(params), httpStatus: err.status, error: err.code });
      return reply(errorBody(err), err.status);
    }
  }

  const out = await executeMethod(st, portal, token, method, params);
  return reply(out.body, out.status);
}
