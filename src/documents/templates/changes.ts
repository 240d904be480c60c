import type { DbOrTx } from '../../db/client.js';
import { enqueue } from '../../jobs/queue.js';

/**
 * A portal's template list changed (create, rename, delete). What follows is queued, not called: the
 * robot's "Template" select is pushed to Bitrix24 by the job of this kind (src/robots/template-sync.ts
 * runs it), so the template repository does not import the robots folder. The value is stored in the
 * jobs table: never rename it.
 */
export const ROBOT_TEMPLATES_KIND = 'robot.sync_templates';

/**
 * Queue the sync. Jobs of one portal run one at a time (order key) and each reads the list when it
 * runs, so a burst of edits costs one update.
 */
export async function templatesChanged(db: DbOrTx, p: { portalId: string; at?: Date }): Promise<void> {
  // Without the caller's clock the job is made due at once, whatever clock the runner keeps.
  await enqueue(db, { kind: ROBOT_TEMPLATES_KIND, portalId: p.portalId, payload: {}, orderKey: `${ROBOT_TEMPLATES_KIND}:${p.portalId}`, runAt: p.at ?? new Date(0) });
}
