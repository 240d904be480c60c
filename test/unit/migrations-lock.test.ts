/**
 * A shipped migration is never edited: databases out there have already run it, and drizzle skips
 * any migration it has a record of, so an edit would reach new installs only. migrations/checksums.json
 * locks each migration's SHA-256 (what drizzle records too) and its journal time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, readJournal } from '../../src/db/migrate.js';

type Lock = Record<string, { sha256: string; when: number }>;

const lock = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'checksums.json'), 'utf8')) as Lock;
const journal = readJournal(MIGRATIONS_FOLDER);
const sqlFiles = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).sort();
const sha256 = (file: string) => createHash('sha256').update(readFileSync(join(MIGRATIONS_FOLDER, file))).digest('hex');
const NEW_MIGRATION = 'put the change in a new migration instead (`npm run db:generate -- --name <what>`)';

describe('shipped migrations', () => {
  it('are unchanged: same bytes, same journal time', () => {
    const problems: string[] = [];
    for (const [file, locked] of Object.entries(lock)) {
      if (!existsSync(join(MIGRATIONS_FOLDER, file))) {
        problems.push(`migrations/${file} shipped and must stay: restore it from git; ${NEW_MIGRATION}`);
        continue;
      }
      if (sha256(file) !== locked.sha256) {
        problems.push(`migrations/${file} shipped and must never be edited (sha256 ${sha256(file)}, locked ${locked.sha256}): restore it from git and ${NEW_MIGRATION}`);
      }
      const entry = journal.find((e) => `${e.tag}.sql` === file);
      if (entry?.when !== locked.when) {
        problems.push(`migrations/meta/_journal.json: the entry for ${file} shipped with when=${locked.when} (now ${entry?.when ?? 'missing'}); restore it`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('are all locked, each in the journal, oldest first', () => {
    expect(sqlFiles, 'every migrations/*.sql has a journal entry and the other way round').toEqual(journal.map((e) => `${e.tag}.sql`).sort());
    const unlocked = journal.filter((e) => !lock[`${e.tag}.sql`]);
    const add = unlocked.map((e) => `"${e.tag}.sql": { "sha256": "${sha256(`${e.tag}.sql`)}", "when": ${e.when} }`);
    expect(add, 'a new migration is locked in migrations/checksums.json in the commit that adds it; add').toEqual([]);
    // drizzle applies only migrations later than the newest one a database recorded: a migration
    // dated earlier (e.g. generated on an older branch) would be skipped silently on upgrade.
    const outOfOrder = journal.filter((e, i) => i > 0 && e.when <= journal[i - 1]!.when).map((e) => e.tag);
    expect(outOfOrder, 'journal times must increase; regenerate these migrations on top of main').toEqual([]);
  });
});
