import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { MIGRATIONS_FOLDER, readJournal, type JournalEntry } from '../../src/db/migrate.js';
import { createTestDb } from '../helpers/db.js';
import { createTestServices } from '../helpers/services.js';

describe('GET /healthz', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(() => services.testDb.close());

  it('reports the database kind and that it is reachable', async () => {
    const res = await createApp(services).request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: { kind: services.dbHandle.kind, reachable: true } });
  });

  it('answers 503 when the database is unreachable', async () => {
    const app = createApp({ ...services, dbHandle: { kind: 'postgres', ping: async () => false } });
    const res = await app.request('/healthz');
    expect(res.status).toBe(503);
    expect((await res.json()).database.reachable).toBe(false);
  });

  it('unknown routes get a typed 404 with a request id', async () => {
    const res = await createApp(services).request('/nope');
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.requestId).toMatch(/^req_/);
  });
});

describe('GET /readyz: database reachable and every shipped migration applied', () => {
  let services: Awaited<ReturnType<typeof createTestServices>>;
  const scratch: string[] = [];
  const shipped = readJournal(MIGRATIONS_FOLDER);
  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(async () => {
    await services.testDb.close();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  /** A migrations folder whose journal lists `entries` (readiness reads only the journal). */
  function journalWith(entries: JournalEntry[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'b24-readyz-'));
    scratch.push(dir);
    mkdirSync(join(dir, 'meta'));
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
    return dir;
  }

  it('is ready on a migrated database and counts the shipped migrations', async () => {
    expect(shipped.length).toBeGreaterThan(1);
    const res = await createApp(services).request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: { kind: services.dbHandle.kind, reachable: true }, migrations: { shipped: shipped.length, unknown: 0 } });
  });

  it('answers 503 DATABASE_UNREACHABLE when the database does not answer', async () => {
    const app = createApp({ ...services, dbHandle: { ...services.dbHandle, ping: async () => false } });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.error.code).toBe('DATABASE_UNREACHABLE');
    expect(body.error.message).toMatch(/database/i);
    // /healthz says the same thing its own way; neither hides the other.
    expect((await app.request('/healthz')).status).toBe(503);
  });

  it('answers 503 MIGRATIONS_PENDING on a database migrated by an older build, naming what is missing', async () => {
    // The database an older build left: only the baseline applied (drizzle records it; later ones absent).
    const baselineDir = journalWith(shipped.slice(0, 1));
    writeFileSync(join(baselineDir, `${shipped[0]!.tag}.sql`), readFileSync(join(MIGRATIONS_FOLDER, `${shipped[0]!.tag}.sql`)));
    const older = await createTestDb(undefined, { migrations: baselineDir });
    try {
      const app = createApp({ ...services, db: older.db, dbHandle: older });
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.error.code).toBe('MIGRATIONS_PENDING');
      expect(body.error.details.pending).toEqual(shipped.slice(1).map((e) => e.tag));
      expect(body.error.message).toContain(`${shipped.length - 1} of the ${shipped.length}`);
      // Alive all the same: liveness and readiness are different questions.
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      await older.close();
    }
  }, 90_000); // a fresh database of its own (PGlite starts slowly on a busy machine)

  it('answers 503 MIGRATIONS_PENDING on an empty database (nothing recorded yet)', async () => {
    const empty = await createTestDb(undefined, { migrations: null });
    try {
      const res = await createApp({ ...services, db: empty.db, dbHandle: empty }).request('/readyz');
      expect(res.status).toBe(503);
      expect((await res.json()).error.details.pending).toEqual(shipped.map((e) => e.tag));
    } finally {
      await empty.close();
    }
  }, 90_000); // a fresh database of its own (PGlite starts slowly on a busy machine)

  it('a shipped migration the database lacks is pending; one the database has beyond this build (a newer instance migrated) is not a fault', async () => {
    const last = shipped.at(-1)!;
    const newer = journalWith([...shipped, { ...last, idx: last.idx + 1, tag: '9999_not_applied', when: last.when + 1 }]);
    const res = await createApp({ ...services, config: { ...services.config, MIGRATIONS_DIR: newer } }).request('/readyz');
    expect(res.status).toBe(503);
    expect((await res.json()).error.details.pending).toEqual(['9999_not_applied']);

    const older = journalWith(shipped.slice(0, -1));
    const ok = await createApp({ ...services, config: { ...services.config, MIGRATIONS_DIR: older } }).request('/readyz');
    expect(ok.status).toBe(200);
    expect((await ok.json()).migrations).toEqual({ shipped: shipped.length - 1, unknown: 1 });
  });
});
