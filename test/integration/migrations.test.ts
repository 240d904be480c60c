/**
 * Migrations with a history: the baseline (0000_init) plus every later migration must build exactly
 * the schema in src/db/schema, and a database holding data at the baseline must reach head intact.
 * Runs on PostgreSQL, and on PGlite with TEST_DB=pglite.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf, type Database } from '../../src/db/client.js';
import { findMigrationsFolder, MIGRATIONS_FOLDER, migrate, readJournal } from '../../src/db/migrate.js';
import { openMigratedDatabase } from '../../src/db/open.js';
import { catalogOf, createFromSchema, pendingSchemaChanges } from '../helpers/catalog.js';
import { createTestDb, TEST_DB_KIND, type TestDb } from '../helpers/db.js';

const opened: TestDb[] = [];
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
async function testDb(migrations?: string | null): Promise<TestDb> {
  const db = await createTestDb(TEST_DB_KIND, { migrations });
  opened.push(db);
  return db;
}

/** The catalog of a database built straight from src/db/schema; made once (a PGlite start is slow). */
let schemaCatalog: ReturnType<typeof catalogOf> | undefined;
function catalogOfSchema(): ReturnType<typeof catalogOf> {
  schemaCatalog ??= testDb(null).then(async (direct) => {
    await createFromSchema(direct.db);
    return catalogOf(direct.db);
  });
  return schemaCatalog;
}

/** A migrations folder holding only the baseline, as a portal installed before any later migration has it. */
function baselineOnly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'b24-baseline-'));
  scratch.push(dir);
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const [baseline] = journal.entries;
  expect(baseline!.tag).toBe('0000_init');
  mkdirSync(join(dir, 'meta'));
  copyFileSync(join(MIGRATIONS_FOLDER, '0000_init.sql'), join(dir, '0000_init.sql'));
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [baseline] }));
  return dir;
}

describe('migrations build the schema', () => {
  it('leave nothing for drizzle-kit to generate: every schema change has its migration', async () => {
    const pending = await pendingSchemaChanges(MIGRATIONS_FOLDER);
    expect(pending, 'src/db/schema changed without a migration: run `npm run db:generate -- --name <what>` and commit the new files').toEqual([]);
  });

  it(`baseline + every migration give the same ${TEST_DB_KIND} catalog as the schema built directly`, async () => {
    const migrated = await testDb();
    const [got, want] = await Promise.all([catalogOf(migrated.db), catalogOfSchema()]);
    expect(want.tables.length).toBeGreaterThan(10);
    expect(got).toEqual(want);
  });
});

/**
 * One row in every table of the baseline, written with the baseline's own columns (raw SQL, not
 * today's drizzle tables, which may have columns the baseline lacks). Values cover each column kind.
 */
const BASELINE_ROWS = [
  sql`insert into portals (id, member_id, domain, client_endpoint, server_endpoint, application_token, access_token, refresh_token, expires_at, token_version, scope, status, installed_by_user_id, settings)
      values ('p-1', 'member-1', 'acme.bitrix24.it', 'https://acme.bitrix24.it/rest/', 'https://oauth.bitrix.info/rest/', 'app-tok', 'acc-tok', 'ref-tok', '2026-11-01T10:00:00Z', 3, 'crm,bizproc', 'installed', 1, '{"lang":"it"}')`,
  sql`insert into rate_buckets (portal_id, level, paused_until) values ('p-1', 12.5, '{"crm.item.list":"2026-11-01T10:01:00Z"}')`,
  sql`insert into pdf_files (id, portal_id, origin, origin_ref, filename, bytes, size, sha256, page_count, info, created_by_user_id)
      values ('f-1', 'p-1', 'upload', null, 'nda.pdf', '\\x255044462d312e370a'::bytea, 9, 'aa11', 1, '{"pages":[{"width":595,"height":842}]}', 1)`,
  sql`insert into templates (id, portal_id, name, kind, language, source, fields, created_by_user_id, last_used_at)
      values ('t-1', 'p-1', 'NDA', 'pdf', 'it', '{"type":"pdf","fileId":"f-1"}', '[{"key":"company","type":"text"}]', 1, '2026-11-01T09:00:00Z')`,
  sql`insert into envelopes (id, portal_id, crm_entity_type_id, crm_entity_id, template_id, title, lang, status, fields, source_pdf, source_sha256, timers, public_id, sent_at, expires_at, audit_head, audit_count, created_by_user_id, robot_event_token, robot_workflow_id)
      values ('e-1', 'p-1', 2, 15, 't-1', 'NDA — Rossi', 'it', 'sent', '[{"key":"company","type":"text"}]', '\\x255044462d'::bytea, 'bb22', '{"expireDays":30,"remindEveryDays":3}', 'pub-e1', '2026-11-01T10:00:00Z', '2026-12-01T10:00:00Z', 'hash-2', 2, 1, 'evt-1', 'wf-1')`,
  sql`insert into recipients (id, portal_id, envelope_id, role, party, sign_order, name, email, phone, crm_contact_id, status, invited_at, opened_at, signature_method, signature_image, otp_hash, otp_attempts)
      values ('r-1', 'p-1', 'e-1', 'signer', 'client', 1, 'Maria Rossi', 'maria@example.it', '+390612345678', 7, 'opened', '2026-11-01T10:00:00Z', '2026-11-01T10:05:00Z', 'drawn', '\\x89504e47'::bytea, 'otp-h', 1)`,
  sql`insert into field_values (id, portal_id, envelope_id, field_key, recipient_id, value) values ('v-1', 'p-1', 'e-1', 'company', 'r-1', 'Rossi S.r.l.')`,
  sql`insert into audit_events (portal_id, envelope_id, seq, type, actor, recipient_id, ip, user_agent, at, data, prev_hash, hash) values
      ('p-1', 'e-1', 1, 'created', 'user:1', null, null, null, '2026-11-01T09:59:00Z', '{}', 'genesis', 'hash-1'),
      ('p-1', 'e-1', 2, 'sent', 'user:1', 'r-1', '203.0.113.7', 'Mozilla/5.0', '2026-11-01T10:00:00Z', '{"to":"maria@example.it"}', 'hash-1', 'hash-2')`,
  sql`insert into messages (id, portal_id, envelope_id, recipient_id, channel, template, "to", subject, body, html, status, provider_id, sent_at)
      values ('m-1', 'p-1', 'e-1', 'r-1', 'email', 'invite', 'maria@example.it', 'Firma: NDA', 'Apri il link', '<p>Apri</p>', 'sent', 'smtp-42', '2026-11-01T10:00:01Z')`,
  sql`insert into jobs (kind, portal_id, payload, dedupe_key, order_key, status, run_at, attempts, last_error)
      values ('timeline.report', 'p-1', '{"envelopeId":"e-1"}', 'timeline:e-1', 'envelope:e-1', 'queued', '2026-11-01T10:00:02Z', 1, 'portal busy')`,
  sql`insert into card_prefs (portal_id, kind, template_id, template_name, entity_type_id, slots, last_recipient_names, used_by_user_id)
      values ('p-1', 'deal', 't-1', 'NDA', 2, '[{"party":"client","source":"contact"}]', '["Maria Rossi"]', 1)`,
  sql`insert into sealed_documents (id, portal_id, envelope_id, public_id, sha256, title, lang, status, parties, signer_name, development, timestamped, sealed_at, retention_until, size_bytes, pdf)
      values ('s-1', 'p-1', 'e-0', 'pub-e0', 'cc33', 'Offer — Bianchi', 'en', 'completed', '[{"name":"Luca Bianchi"}]', 'Luca Bianchi', true, false, '2026-10-01T10:00:00Z', '2031-10-01T10:00:00Z', 5, '\\x255044462d'::bytea)`,
  sql`insert into robot_calls (id, portal_id, code, event_token, workflow_id, document_id, entity_type_id, entity_id, properties, wait, subscribed, user_id, status, envelope_id)
      values ('rc-1', 'p-1', 'b24sign_send', 'evt-1', 'wf-1', '["crm","CCrmDocumentDeal","DEAL_15"]', 2, 15, '{"template":"t-1"}', 'Y', 'Y', 1, 'envelope_sent', 'e-1')`,
  sql`insert into robot_template_sync (portal_id, options_hash, synced_at) values ('p-1', 'opts-1', '2026-11-01T08:00:00Z')`,
  sql`insert into timeline_state (envelope_id, portal_id, activity_id, reported_seq, layout_hash) values ('e-1', 'p-1', 77, 2, 'layout-1')`,
  sql`insert into timeline_writes (portal_id, envelope_id, key, method, status, result, at)
      values ('p-1', 'e-1', 'activity:e-1', 'crm.activity.configurable.add', 'done', '{"id":77}', '2026-11-01T10:00:03Z')`,
];

async function publicTables(db: Database): Promise<string[]> {
  const rows = rowsOf<{ name: string }>(await db.execute(sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`));
  return rows.map((r) => r.name);
}

/** Every row of each table as JSON (bytea as hex, timestamps as text), in a stable order. */
async function contents(db: Database, tables: string[]): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of tables) {
    const rows = rowsOf<{ row: Record<string, unknown> }>(await db.execute(sql`select to_jsonb(t) as row from ${sql.identifier(table)} t order by to_jsonb(t)::text`));
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

describe('upgrade from the baseline', () => {
  it('keeps every row of a database filled at 0000_init and records each migration once', async () => {
    const db = await testDb(baselineOnly());
    const tables = await publicTables(db.db);
    for (const row of BASELINE_ROWS) await db.db.execute(row);
    const before = await contents(db.db, tables);
    // Fixture check: every baseline table holds data, so a migration that loses any of it is caught.
    expect(tables.filter((t) => !before[t]?.length)).toEqual([]);

    const report = await migrate(db.db);
    const head = readJournal(MIGRATIONS_FOLDER);
    expect(report).toEqual({ applied: head.slice(1).map((e) => e.tag), total: head.length });

    // The baseline's columns keep their values; columns added since may hold their defaults. Bytes that
    // moved to the blob store (0012) are read back through the key column that replaced them.
    const after = await contents(db.db, tables);
    const blobBytes = new Map((await contents(db.db, ['blob_bytes'])).blob_bytes!.map((b) => [b.key as string, b.bytes]));
    const MOVED: Record<string, Record<string, string>> = { envelopes: { source_pdf: 'source_pdf_key', sealed_pdf: 'sealed_pdf_key' }, pdf_files: { bytes: 'blob_key' }, sealed_documents: { pdf: 'storage_key' } };
    for (const table of tables) {
      const value = (row: Record<string, unknown>, k: string) => {
        const keyColumn = MOVED[table]?.[k];
        if (!keyColumn) return row[k];
        return row[keyColumn] ? blobBytes.get(row[keyColumn] as string) : null;
      };
      // sealed_documents.storage_key existed (unused) at the baseline and now names the moved bytes.
      const keyColumns = new Set(Object.values(MOVED[table] ?? {}));
      const columns = Object.keys(before[table]![0]!).filter((k) => !keyColumns.has(k));
      const pick = (row: Record<string, unknown>, read: (k: string) => unknown) => Object.fromEntries(columns.map((k) => [k, read(k)]));
      expect(after[table]!.map((row) => pick(row, (k) => value(row, k))), table).toEqual(before[table]!.map((row) => pick(row, (k) => row[k])));
    }
    const keys = [after.envelopes![0]!.source_pdf_key, after.pdf_files![0]!.blob_key, after.sealed_documents![0]!.storage_key];
    expect(keys).toEqual([expect.stringMatching(/^p-1\/source\/[0-9a-f]{64}$/), expect.stringMatching(/^p-1\/file\/[0-9a-f]{64}$/), expect.stringMatching(/^p-1\/sealed\/[0-9a-f]{64}$/)]);
    const registered = (await contents(db.db, ['blobs'])).blobs!.map((b) => [b.key, b.portal_id, b.size]);
    expect(registered).toEqual(expect.arrayContaining([[keys[0], 'p-1', 5], [keys[1], 'p-1', 9], [keys[2], 'p-1', 5]]));

    // drizzle's journal in the database: each migration once, with the file's hash and the journal's time.
    const recorded = rowsOf<{ hash: string; created_at: string }>(
      await db.db.execute(sql`select hash, created_at::text as created_at from drizzle.__drizzle_migrations order by id`),
    );
    expect(recorded).toEqual(readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => ({ hash: m.hash, created_at: String(m.folderMillis) })));

    // The upgraded database is the schema, and a restart migrates nothing.
    expect(await catalogOf(db.db)).toEqual(await catalogOfSchema());
    expect((await migrate(db.db)).applied).toEqual([]);
  });
});

describe('npm run db:migrate and the migrations folder', () => {
  const ROOT = join(import.meta.dirname, '../..');

  it('is found above the running code, from src/db/ as from a bundle in dist/', () => {
    expect(MIGRATIONS_FOLDER).toBe(join(ROOT, 'migrations'));
    const app = mkdtempSync(join(tmpdir(), 'b24-shipped-'));
    scratch.push(app);
    const journalIn = (folder: string) => {
      mkdirSync(join(folder, 'meta'), { recursive: true });
      writeFileSync(join(folder, 'meta', '_journal.json'), '{"entries":[]}');
    };
    // A bundle in dist/ next to the project's migrations/ …
    journalIn(join(app, 'migrations'));
    mkdirSync(join(app, 'dist', 'server'), { recursive: true });
    expect(findMigrationsFolder(join(app, 'dist', 'server'))).toBe(join(app, 'migrations'));
    // … and a build that copies them into dist/ prefers its own copy.
    journalIn(join(app, 'dist', 'migrations'));
    expect(findMigrationsFolder(join(app, 'dist'))).toBe(join(app, 'dist', 'migrations'));
  });

  it('a folder without migrations stops start-up as a configuration error naming MIGRATIONS_DIR', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'b24-no-migrations-'));
    scratch.push(empty);
    await expect(openMigratedDatabase({ DATABASE_URL: undefined, DATA_DIR: empty, MIGRATIONS_DIR: empty })).rejects.toMatchObject({
      problems: [expect.stringMatching(/^MIGRATIONS_DIR: no migrations in /)],
    });
  });

  it('the db:migrate entry brings an empty database to head, then finds nothing to do', async () => {
    const db = TEST_DB_KIND === 'postgres' ? await testDb(null) : undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'b24-db-migrate-'));
    scratch.push(dataDir);
    // PostgreSQL: the test's database. PGlite: a fresh one in DATA_DIR (an in-memory one cannot be shared).
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: db?.url ?? '', DATA_DIR: dataDir };
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src/entry/migrate.ts')], { env, cwd: ROOT });
    const tags = readJournal(MIGRATIONS_FOLDER).map((e) => e.tag);
    expect((await run()).stdout).toContain(`applied ${tags.join(', ')} (${tags.length} migrations in total)`);
    expect((await run()).stdout).toContain('already up to date');
    if (db) expect(await catalogOf(db.db)).toEqual(await catalogOfSchema());
  }, 120_000);
});
