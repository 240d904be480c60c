import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { registrationManifest, sendForSigningRobot, type RegistrationManifest, type RobotEntry } from '../bitrix24/manifest.js';
import type { DbOrTx } from '../db/client.js';
import { robotTemplateSync } from '../db/schema/robot-calls.js';
import { ROBOT_TEMPLATES_KIND, templatesChanged } from '../documents/templates/changes.js';
import { listTemplates } from '../documents/templates/repo.js';
import { listStarters } from '../documents/templates/starters/index.js';
import { LANGS } from '../i18n/index.js';
import { defineJob, JobPermanentFailure } from '../jobs/queue.js';
import { Bitrix24Error } from '../bitrix24/types.js';
import { robotFields } from '../bitrix24/registration.js';
import { sha256Hex } from '../signing/hashing.js';
import { stableJson } from '../timeline/layout.js';

/**
 * The robot's "Template" select lists the portal's own templates (id → name) and the built-in
 * starters in each language (`sales-contract` = English, `sales-contract.ru` …). Bitrix24 keeps the
 * options it was given at bizproc.robot.add/update, so whenever the portal's templates change a job
 * pushes the new list (bizproc.robot.update), skipping the call when nothing visible changed.
 */
// The kind and the enqueueing live with the templates (documents/templates/changes.ts), which queue it on every change.
export { ROBOT_TEMPLATES_KIND, templatesChanged };

export async function templateOptions(db: DbOrTx, portalId: string): Promise<Record<string, string>> {
  const options: Record<string, string> = {};
  for (const t of await listTemplates(db, { portalId })) {
    // Document-generator templates need their PDF made per item first; the robot cannot use them.
    if (t.source.type !== 'docgen') options[t.id] = t.name;
  }
  for (const s of listStarters()) {
    for (const lang of LANGS) options[lang === 'en' ? s.id : `${s.id}.${lang}`] = `${s.names[lang]} (${lang.toUpperCase()})`;
  }
  return options;
}

export function robotWithOptions(options: Record<string, string>): RobotEntry {
  return {
    ...sendForSigningRobot,
    properties: { ...sendForSigningRobot.properties, template: { ...sendForSigningRobot.properties.template!, Options: options } },
  };
}

/** The registration manifest with this portal's template list (install and update register it). */
export async function manifestForPortal(db: DbOrTx, portalId: string): Promise<RegistrationManifest> {
  const robot = robotWithOptions(await templateOptions(db, portalId));
  return { ...registrationManifest, robots: registrationManifest.robots.map((r) => (r.code === robot.code ? robot : r)) };
}

export const robotTemplatesJob = defineJob(ROBOT_TEMPLATES_KIND, z.object({}).loose(), async (_payload, job, ctx) => {
  const { db, services } = ctx;
  const portalId = job.portalId!;
  const options = await templateOptions(db, portalId);
  const hash = await sha256Hex(new TextEncoder().encode(stableJson(options)));
  const [last] = await db.select().from(robotTemplateSync).where(eq(robotTemplateSync.portalId, portalId));
  if (last?.optionsHash === hash) return;
  const robot = robotWithOptions(options);
  const fields = robotFields(robot, services.config.publicUrl, 0);
  try {
    await services.bitrix24.forPortal(portalId).call('bizproc.robot.update', { CODE: robot.code, FIELDS: { PROPERTIES: fields.PROPERTIES } });
  } catch (e) {
    if (e instanceof Bitrix24Error && ['ERROR_ACTIVITY_NOT_FOUND', 'ACCESS_DENIED', 'insufficient_scope'].includes(e.code)) {
      throw new JobPermanentFailure(`robot template list not updated: ${e.code}`, { cause: e });
    }
    throw e;
  }
  await db
    .insert(robotTemplateSync)
    .values({ portalId, optionsHash: hash, syncedAt: services.clock.now() })
    .onConflictDoUpdate({ target: robotTemplateSync.portalId, set: { optionsHash: hash, syncedAt: services.clock.now() } });
});
