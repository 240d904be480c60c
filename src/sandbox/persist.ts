import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DocumentRecord, EventSendRecord, NotificationRecord, Portal, Row, TimelineEntry, WorkflowRun } from '../emulator/types.js';

/**
 * The emulator keeps portals in memory; our database keeps the portal and everything the app did.
 * For a restart to "just work", the portal's side of that history must come back too: the deals'
 * stages, the timeline the app wrote (it updates its activities by id), the robot runs still
 * waiting for an answer, generated documents and notifications. They are kept in one JSON file in
 * DATA_DIR, written atomically when they change, and put back before the app is installed again.
 */
export interface PortalSnapshot {
  version: 1;
  memberId: string;
  seq: number;
  deals: Row[];
  documents: DocumentRecord[];
  timeline: TimelineEntry[];
  workflows: WorkflowRun[];
  eventSends: EventSendRecord[];
  notifications: NotificationRecord[];
  triggerExecutions: Portal['triggerExecutions'];
}

export function snapshotOf(p: Portal): PortalSnapshot {
  return {
    version: 1, memberId: p.memberId, seq: p.seq, deals: [...p.deals.values()], documents: [...p.documents.values()], timeline: p.timeline,
    workflows: [...p.workflows.values()], eventSends: p.eventSends, notifications: p.notifications, triggerExecutions: p.triggerExecutions,
  };
}

export function restoreSnapshot(p: Portal, s: PortalSnapshot): void {
  if (s.version !== 1 || s.memberId !== p.memberId) return;
  for (const d of s.deals) {
    const current = p.deals.get(String(d.ID));
    if (current) Object.assign(current, d);
    else p.deals.set(String(d.ID), d);
  }
  p.documents = new Map(s.documents.map((d) => [d.id, d]));
  p.timeline = s.timeline;
  p.workflows = new Map(s.workflows.map((w) => [w.eventToken, w]));
  p.eventSends = s.eventSends;
  p.notifications = s.notifications;
  p.triggerExecutions = s.triggerExecutions;
  p.seq = Math.max(p.seq, s.seq);
}

export function readSnapshot(file: string): PortalSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PortalSnapshot;
  } catch {
    return undefined; // a damaged file only costs the portal's history, never the start
  }
}

/** Writes the snapshot when it changed: every `intervalMs`, and on flush() (shutdown). */
export function persistPortal(portal: () => Portal, file: string, intervalMs = 1000) {
  let last = '';
  const flush = () => {
    const json = JSON.stringify(snapshotOf(portal()));
    if (json === last) return;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, json);
    renameSync(`${file}.tmp`, file);
    last = json;
  };
  const timer = setInterval(() => {
    try {
      flush();
    } catch {
      // best effort: the next tick tries again
    }
  }, intervalMs);
  timer.unref?.();
  return {
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
