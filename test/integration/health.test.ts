import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
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
