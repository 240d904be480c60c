import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { executePrepared, rowsOf } from '../db/client.js';
import { crmDocument } from '../bitrix24/payloads.js';
import type { RobotAck } from './quick-check.js';
import type { Services } from '../services.js';
import { APP_TOKEN_DIGEST_PREFIX } from '../lib/app-token.js';
import { entityTypeOf } from './properties.js';

export const ROBOT_SEND_KIND = 'robot.send';
/** `crm`: this call's CRM read, done by another robot job in a shared batch (send.ts). */
export const ZRobotSendPayload = z.object({
  callId: z.string().min(1),
  /** The delivery's auth[access_token], until the job has had it confirmed (src/robots/verify-delivery.ts); then `verified`. */
  accessToken: z.string().nullish(),
  verified: z.boolean().optional(),
  crm: z.object({ at: z.string(), result: z.object({ result: z.record(z.string(), z.unknown()), errors: z.record(z.string(), z.any()), total: z.record(z.string(), z.number()), next: z.record(z.string(), z.number()) }) }).optional(),
});

export type Accepted = { portalId: string; created: boolean; callId?: string };

/** One delivery as the statement reads it: a row of jsonb_to_recordset, keyed by its new call id. */
interface Row {
  id: string;
  member_id: string;
  application_token: string;
  code: string;
  event_token: string;
  workflow_id: string;
  document_id: readonly string[];
  entity_type_id: number | null;
  entity_id: number | null;
  properties: Record<string, unknown>;
  subscribed: 'Y' | 'N';
  user_id: number | null;
  access_token: string | null;
  run_at: string;
}

function rowOf(services: Pick<Services, 'ids' | 'clock'>, call: RobotAck): Row {
  const doc = crmDocument(call.document_id);
  const entityTypeId = doc ? entityTypeOf(doc.type) : undefined;
  const subscribed = call.use_subscription === false ? 'N' : 'Y';
  return {
    id: services.ids.newId('rbt'),
    member_id: call.auth.member_id,
    application_token: call.auth.application_token,
    code: call.code,
    event_token: call.event_token,
    workflow_id: call.workflow_id,
    document_id: call.document_id,
    entity_type_id: entityTypeId ?? null,
    entity_id: entityTypeId && doc ? doc.id : null,
    properties: call.properties,
    // "wait" starts as the subscription says; the job settles it from the properties.
    subscribed,
    user_id: call.auth.user_id ?? null,
    access_token: call.auth.access_token ?? null,
    run_at: services.clock.now().toISOString(),
  };
}

/**
 * The robot handler's whole synchronous work for a group of deliveries, in ONE statement (a
 * data-modifying CTE, one round trip, one commit): authenticate each delivery, remember it under its
 * event_token and queue its job, atomically; then answer. Bitrix24 never retries a delivery and
 * deprioritises slow handlers (reference §5.3, pitfall 8), so nothing slow happens here.
 *
 * The deliveries travel as one jsonb array (`rows`, JSON text), so the statement's text never changes
 * whatever the group's size and runs prepared (executePrepared).
 *
 * Authentication is requireAppToken's rule in SQL, per delivery: the portal named by its
 * auth[member_id], installed, whose stored application_token digest equals the digest of its
 * auth[application_token], computed by the database in the form src/lib/app-token.ts stores
 * (`sha256:<hex>`; a row from before digests is compared by hashing both sides). Only digests meet,
 * so the comparison's timing says nothing about how much of the secret matched (the same reason
 * b24-auth.ts hashes before comparing). A delivery with no such portal gets no result row and writes
 * nothing (the door answers 401). A replayed delivery hits the unique (portal, event_token) key,
 * inserts nothing and so queues nothing (`created: false`); two deliveries of one event_token in the
 * same group fare the same way: one is recorded, the other is the replay.
 */
async function acceptRows(services: Pick<Services, 'db'>, rows: string): Promise<Map<string, Accepted>> {
  const result = await executePrepared(services.db, sql`
    with d as (
      select * from jsonb_to_recordset(${rows}::jsonb) as d(
        id text, member_id text, application_token text, code text, event_token text, workflow_id text,
        document_id jsonb, entity_type_id integer, entity_id integer, properties jsonb, subscribed text,
        user_id integer, access_token text, run_at timestamptz)
    ), a as (
      select d.*, p.id as portal_id from d join portals p
        on p.member_id = d.member_id and p.status <> 'uninstalled' and p.application_token is not null
        and (p.application_token = ${APP_TOKEN_DIGEST_PREFIX} || encode(sha256(convert_to(d.application_token, 'UTF8')), 'hex')
          or (p.application_token not like ${`${APP_TOKEN_DIGEST_PREFIX}%`}
            and sha256(convert_to(p.application_token, 'UTF8')) = sha256(convert_to(d.application_token, 'UTF8'))))
    ), c as (
      insert into robot_calls (id, portal_id, code, event_token, workflow_id, document_id, entity_type_id, entity_id, properties, wait, subscribed, user_id)
      select id, portal_id, code, event_token, workflow_id, document_id, entity_type_id, entity_id, properties, subscribed, subscribed, user_id
      from a
      on conflict (portal_id, event_token) do nothing
      returning id
    ), j as (
      insert into jobs (kind, portal_id, payload, dedupe_key, run_at)
      select ${ROBOT_SEND_KIND}, a.portal_id, jsonb_build_object('callId', a.id, 'accessToken', a.access_token), ${`${ROBOT_SEND_KIND}:`} || a.id, a.run_at
      from c join a on a.id = c.id
      returning payload->>'callId' as call_id
    )
    select a.id, a.portal_id, j.call_id is not null as created from a left join j on j.call_id = a.id`);
  const out = new Map<string, Accepted>();
  for (const r of rowsOf<{ id: string; portal_id: string; created: boolean }>(result)) {
    out.set(r.id, r.created ? { portalId: r.portal_id, created: true, callId: r.id } : { portalId: r.portal_id, created: false });
  }
  return out;
}

/** One delivery, in a statement of its own. `undefined`: not authenticated, nothing written. */
export async function acceptRobotCall(services: Pick<Services, 'db' | 'ids' | 'clock'>, call: RobotAck): Promise<Accepted | undefined> {
  const row = rowOf(services, call);
  return (await acceptRows(services, `[${JSON.stringify(row)}]`)).get(row.id);
}

export interface RobotAcceptor {
  /** Resolves once the delivery is committed (or refused); `undefined`: not authenticated, nothing written. */
  accept(call: RobotAck): Promise<Accepted | undefined>;
}

export interface GroupCommitOptions {
  /** Statements of this acceptor running at once; deliveries arriving meanwhile wait and go together. */
  maxInFlight?: number;
  /**
   * A group this large goes at once, without waiting for the end of the event-loop turn: in a burst the
   * database records one group while the door is still reading the next, instead of idling until the
   * whole burst has been read.
   */
  eagerRows?: number;
  /** At most this many deliveries in one statement… */
  maxRows?: number;
  /** …and at most about this many bytes of them. */
  maxBytes?: number;
}

/** Node's check phase; a runtime without setImmediate (the core is runtime-neutral) takes the next timer turn. */
const nextTurn: (f: () => void) => void = typeof setImmediate === 'function' ? (f) => setImmediate(f) : (f) => setTimeout(f, 0);

interface Waiting {
  id: string;
  json: string;
  resolve(a: Accepted | undefined): void;
  reject(e: unknown): void;
}

/**
 * Group commit for the robot door (issue 15): deliveries that arrive while the acceptor is busy (in the
 * same event-loop turn, or while `maxInFlight` statements are out) are authenticated, recorded and
 * queued by one statement (acceptRows) and one commit, and each is answered only when that statement
 * has returned, so nothing is acknowledged before it is durable. A burst of 200 then costs a handful
 * of round trips instead of 200: less client-side query work, fewer socket writes, fewer commits.
 *
 * If a group's statement fails (a delivery the database refuses, a dropped connection), each of its
 * deliveries is tried again in a statement of its own, so one bad delivery cannot fail the others:
 * every delivery gets the answer it would have had alone.
 */
export function robotAcceptor(services: Pick<Services, 'db' | 'ids' | 'clock'>, o: GroupCommitOptions = {}): RobotAcceptor {
  const maxInFlight = o.maxInFlight ?? 4;
  const eagerRows = o.eagerRows ?? 32;
  const maxRows = o.maxRows ?? 256;
  const maxBytes = o.maxBytes ?? 2 * 1024 * 1024;
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const alone = (w: Waiting) => acceptRows(services, `[${w.json}]`).then((m) => w.resolve(m.get(w.id)), w.reject);

  const run = async (group: Waiting[]) => {
    inFlight++;
    try {
      const accepted = await acceptRows(services, group.length === 1 ? `[${group[0]!.json}]` : `[${group.map((w) => w.json).join(',')}]`);
      for (const w of group) w.resolve(accepted.get(w.id));
    } catch (e) {
      if (group.length === 1) group[0]!.reject(e);
      else await Promise.all(group.map(alone));
    } finally {
      inFlight--;
      schedule();
    }
  };

  const flush = () => {
    scheduled = false;
    while (waiting.length && inFlight < maxInFlight) {
      let n = 0;
      let bytes = 0;
      while (n < waiting.length && n < maxRows && (n === 0 || bytes + waiting[n]!.json.length <= maxBytes)) bytes += waiting[n++]!.json.length;
      const group = n === waiting.length ? waiting : waiting.slice(0, n);
      waiting = n === waiting.length ? [] : waiting.slice(n);
      void run(group);
    }
  };

  function schedule() {
    if (scheduled || !waiting.length || inFlight >= maxInFlight) return;
    scheduled = true;
    // After the rest of this turn's I/O: deliveries read in the same turn join the group.
    nextTurn(flush);
  }

  return {
    accept(call) {
      const row = rowOf(services, call);
      return new Promise((resolve, reject) => {
        waiting.push({ id: row.id, json: JSON.stringify(row), resolve, reject });
        if (waiting.length >= eagerRows && inFlight < maxInFlight) flush();
        else schedule();
      });
    },
  };
}
