/**
 * `npm run doctor -- --portal <member_id>` (and `node dist/doctor.mjs --portal …` after the build): checks one
 * installed portal with its stored tokens, reading only (src/bitrix24/doctor.ts), and prints method by
 * method what the portal answered against what the contract expects. Exit 0 healthy, 1 problems, 78 setup.
 */
import { createBitrix24 } from '../bitrix24/client.js';
import { formatDoctor, runDoctor } from '../bitrix24/doctor.js';
import { parseConfig, type Config } from '../config.js';
import { openMigratedDatabase } from '../db/open.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { findPortalByMemberId } from '../portals/store.js';
import { developmentTokenKeys } from './development-keys.js';
import { exitIfConfigProblem } from './startup-errors.js';

async function main() {
  const at = process.argv.indexOf('--portal');
  const memberId = at > 0 ? process.argv[at + 1] : undefined;
  if (!memberId) {
    console.error('doctor: usage: npm run doctor -- --portal <member_id>');
    process.exit(78);
  }
  let config: Config;
  try {
    // The server's development key (if it made one), so a local portal's sealed tokens open here too.
    config = parseConfig(process.env, undefined, () => developmentTokenKeys(process.env.DATA_DIR || './.data', { create: false }));
  } catch (e) {
    exitIfConfigProblem(e, 'doctor');
  }
  const { handle } = await openMigratedDatabase(config, { max: 1 }).catch((e: unknown) => exitIfConfigProblem(e, 'doctor'));
  try {
    const portal = await findPortalByMemberId(handle.db, memberId);
    if (!portal) {
      console.error(`doctor: no portal with member_id ${memberId} in this database`);
      process.exitCode = 78;
      return;
    }
    const logger = createLogger({ level: 'warn' });
    const bitrix24 = createBitrix24({ db: handle.db, fetch, clock: systemClock, logger, config });
    const report = await runDoctor({ db: handle.db, bitrix24, fetch, config }, portal);
    console.log(formatDoctor(report));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await handle.close();
  }
}

void main().catch((e: unknown) => {
  console.error('doctor failed:', e);
  process.exit(1);
});
