import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsp } from '../../src/http/security-headers.js';
import { createApp } from '../../src/app.js';
import { issueSession } from '../../src/http/session.js';
import { createTestServices } from '../helpers/services.js';
import { seedEnvelope, seedManyEnvelopes, seedPortal, type SeededPortal } from '../e2e/helpers/card-seed.js';
import { describePlacement, parsePlacementOptions } from '../../src/card/context.js';

/**
 * The portal's REST endpoint answers `profile` (who opened the frame) and shows the admin any CRM item
 * (the placement door reads it with the user's token before listing anything about it).
 */
const profileFetch: typeof fetch = async (input, init) => {
  const req = input instanceof Request ? input : new Request(input, init);
  const url = new URL(req.url);
  if (url.pathname.endsWith('/rest/profile')) {
    return Response.json({ result: { ID: '1', ADMIN: true, NAME: 'Anna', LAST_NAME: 'Admin' } });
  }
  const crmGet = /\/rest\/crm\.(deal|lead|contact|company|item)\.get$/.exec(url.pathname);
  if (crmGet) {
    const { id } = (await req.json()) as { id: number };
    return Response.json({ result: crmGet[1] === 'item' ? { item: { id: Number(id) } } : { ID: String(id) } });
  }
  return Response.json({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'not scripted' }, { status: 404 });
};

let services: Awaited<ReturnType<typeof createTestServices>>;
let app: ReturnType<typeof createApp>;
let portal: SeededPortal;
let other: SeededPortal;

beforeAll(async () => {
  services = await createTestServices({ fetch: profileFetch });
  app = createApp(services);
  portal = await seedPortal(services.db);
  other = await seedPortal(services.db, { domain: 'other.bitrix24.test' });
});
afterAll(async () => {
  await services.testDb.close();
});

function framePost(p: SeededPortal, placement: string, options: Record<string, string>, lang = 'en') {
  const query = new URLSearchParams({ DOMAIN: p.domain, PROTOCOL: '1', LANG: lang, APP_SID: 'a'.repeat(32) });
  const body = new URLSearchParams({
    AUTH_ID: 'user-auth-token',
    AUTH_EXPIRES: '3600',
    REFRESH_ID: 'user-refresh-token',
    SERVER_ENDPOINT: 'https://oauth.bitrix24.test/rest/',
    APPLICATION_TOKEN: p.applicationToken,
    APPLICATION_SCOPE: 'crm,placement',
    member_id: p.memberId,
    status: 'L',
    PLACEMENT: placement,
    PLACEMENT_OPTIONS: JSON.stringify(options).replace(/\//g, '\\/'),
  });
  return app.request(`/b24/placements/${placement}?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: body.toString(),
  });
}

const bearer = async (p: SeededPortal, lang: 'en' | 'it' | 'ru' = 'en') =>
  `Bearer ${await issueSession(services.config.sessionSecret, { portalId: p.id, userId: 1, isAdmin: true, placement: 'CRM_DEAL_DETAIL_TAB', lang })}`;

describe('placement context', () => {
  it('reads ID or ENTITY_ID per family, and deep-link envelope ids', () => {
    expect(describePlacement('CRM_DEAL_DETAIL_TAB', { ID: '8061' })).toEqual({ page: 'card', entity: { entityTypeId: 2, entityId: 8061 } });
    expect(describePlacement('CRM_QUOTE_DETAIL_TOOLBAR', { ENTITY_ID: '7' })).toEqual({ page: 'card', entity: { entityTypeId: 7, entityId: 7 } });
    expect(describePlacement('CRM_DYNAMIC_183_DETAIL_TAB', { id: '5' }).entity).toEqual({ entityTypeId: 183, entityId: 5 });
    expect(describePlacement('CRM_DEAL_DOCUMENTGENERATOR_BUTTON', { ENTITY_ID: '5' })).toEqual({ page: 'docgen', entity: { entityTypeId: 2, entityId: 5 } });
    expect(describePlacement('CRM_DEAL_ACTIVITY_TIMELINE_MENU', { ENTITY_ID: '8061', ASSOCIATED_ENTITY_ID: '8097' })).toEqual({
      page: 'docgen',
      entity: { entityTypeId: 2, entityId: 8061 },
      activityId: 8097,
    });
    expect(describePlacement('REST_APP_URI', { envelopeId: 'env_abc123' })).toEqual({ page: 'app', entity: null, envelopeId: 'env_abc123' });
    // Anything else in a deep link is ignored rather than trusted.
    expect(describePlacement('REST_APP_URI', { envelopeId: '../../etc' })).toEqual({ page: 'app', entity: null });
    expect(describePlacement('CRM_DEAL_DETAIL_TAB', { ID: '0' }).entity).toBeNull();
    expect(parsePlacementOptions('undefined')).toEqual({});
    expect(parsePlacementOptions('{"ID":"1","URI":"\\/crm\\/deal\\/details\\/1\\/"}')).toEqual({ ID: '1', URI: '/crm/deal/details/1/' });
  });
});

describe('CRM card tab', () => {
  it('renders this deal’s envelopes with per-recipient progress on the first response, framable by the portal only', async () => {
    const deal = 8061;
    await seedEnvelope(services.db, {
      portalId: portal.id, entityTypeId: 2, entityId: deal, title: 'Supply contract No. 7', status: 'in_progress',
      recipients: [
        { name: 'Ivan Petrov', email: 'ivan@acme.test', party: 'company', order: 1, status: 'signed', at: new Date('2026-11-20T10:15:00Z') },
        { name: 'Maria Rossi', email: 'maria@client.test', party: 'client', order: 2, status: 'opened', at: new Date('2026-11-21T08:00:00Z') },
      ],
    });
    // Same deal id on another portal must never show here.
    await seedEnvelope(services.db, { portalId: other.id, entityTypeId: 2, entityId: deal, title: 'Other portal secret', status: 'sent', recipients: [] });

    const res = await framePost(portal, 'CRM_DEAL_DETAIL_TAB', { ID: String(deal), URI: '/crm/deal/details/8061/' });
    expect(res.status).toBe(200);
    expect(parseCsp(res.headers.get('content-security-policy')).get('frame-ancestors')).toEqual(['https://acme.bitrix24.test']);
    // Bitrix24's SDK is bundled: scripts come from us alone, never from the portal that frames the page.
    expect(parseCsp(res.headers.get('content-security-policy')).get('script-src')).not.toContain('https://acme.bitrix24.test');
    expect(res.headers.get('x-frame-options')).toBeNull();
    const html = await res.text();
    expect(html).toContain('Supply contract No. 7');
    expect(html).not.toContain('Other portal secret');
    expect(html).toMatch(/Ivan Petrov[\s\S]*signed[\s\S]*<time datetime="2026-11-20T10:15:00.000Z">/);
    expect(html).toMatch(/Maria Rossi[\s\S]*opened/);
    expect(html).toContain('data-action="resend"');
    expect(html).toContain('data-action="void"');
    expect(html).toContain('<script type="module" src="/assets/placements/crm-card.js">');
    // Bitrix24's SDK is bundled into our own script: nothing loads from another host.
    expect(html).not.toMatch(/<script[^>]+src="https?:/);
    // Bitrix24's tokens stay out of the page; only our own session is embedded.
    expect(html).not.toContain('user-auth-token');
    expect(html).not.toContain(portal.applicationToken);
    const boot = JSON.parse(/<script type="application\/json" id="b24s-boot">([\s\S]*?)<\/script>/.exec(html)![1]!);
    expect(boot.page).toBe('card');
    expect(boot.entity).toEqual({ entityTypeId: 2, entityId: deal });
    expect(typeof boot.token).toBe('string');
  });

  it('speaks the portal’s language and explains the empty state', async () => {
    const res = await framePost(portal, 'CRM_DEAL_DETAIL_TAB', { ID: '999' }, 'ru');
    const html = await res.text();
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain('Документов на подпись пока нет');
    expect(html).toContain('Новый документ');
  });

  it('refuses a frame POST with a wrong application token', async () => {
    const res = await framePost({ ...portal, applicationToken: 'forged' }, 'CRM_DEAL_DETAIL_TAB', { ID: '1' });
    expect(res.status).toBe(401);
  });

  it('opens the document-generator button and the timeline menu on the CRM-document page', async () => {
    for (const [code, opts] of [
      ['CRM_DEAL_DOCUMENTGENERATOR_BUTTON', { ENTITY_ID: '5' }],
      ['CRM_DEAL_ACTIVITY_TIMELINE_MENU', { ENTITY_ID: '8061', ASSOCIATED_ENTITY_ID: '8097', ASSOCIATED_ENTITY_TYPE_ID: '6' }],
    ] as const) {
      const html = await (await framePost(portal, code, opts)).text();
      expect(html).toContain('/assets/placements/docgen-button.js');
      expect(html).toContain('Sign a document from this card');
    }
  });

  it('opens one envelope from a REST_APP_URI deep link, only on its own portal', async () => {
    const id = await seedEnvelope(services.db, {
      portalId: portal.id, entityTypeId: 2, entityId: 42, title: 'Deep-linked NDA', status: 'completed', sealed: true,
      recipients: [{ name: 'Ivan Petrov', email: 'ivan@acme.test', party: 'company', order: 1, status: 'signed' }],
    });
    const html = await (await framePost(portal, 'REST_APP_URI', { envelopeId: id })).text();
    expect(html).toContain('Deep-linked NDA');
    expect(html).toContain('data-action="download"');
    expect(html).toContain('data-action="copy-verify"');
    expect(html).toMatch(/data-href="http:\/\/b24sign\.test\/v\/B24S-/);
    const elsewhere = await (await framePost(other, 'REST_APP_URI', { envelopeId: id })).text();
    expect(elsewhere).not.toContain('Deep-linked NDA');
    expect(elsewhere).toContain('This document was not found on this portal.');
  });
});

describe('card API', () => {
  it('needs a session', async () => {
    expect((await app.request('/api/card/items/2/1')).status).toBe(401);
  });

  it('returns the item’s envelopes newest first, scoped to the session’s portal', async () => {
    await seedManyEnvelopes(services.db, { portalId: portal.id, entityTypeId: 2, entityId: 77, count: 12 });
    const res = await app.request('/api/card/items/2/77', { headers: { authorization: await bearer(portal) } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { envelopes: { title: string; createdAt: string; recipients: unknown[] }[] };
    expect(body.envelopes).toHaveLength(12);
    expect(body.envelopes[0]!.title).toBe('Supply contract No. 1011');
    expect(body.envelopes.every((e) => e.recipients.length === 2)).toBe(true);
    const mine = await app.request('/api/card/items/2/77', { headers: { authorization: await bearer(other) } });
    expect(((await mine.json()) as { envelopes: unknown[] }).envelopes).toHaveLength(0);
  });

  it('serves the list as an HTML fragment in the session’s language', async () => {
    const res = await app.request('/api/card/items/2/77/list', { headers: { authorization: await bearer(portal, 'it') } });
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('Firmato');
    expect(html).toContain('Motivo: Wrong amount');
    expect(html).not.toContain('<html');
  });

  it('remembers the last set-up per document kind and offers it as "same as last time"', async () => {
    const put = await app.request('/api/card/last-used', {
      method: 'PUT',
      headers: { authorization: await bearer(portal), 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'contract', templateId: 'tpl_supply', templateName: 'Supply contract', entityTypeId: 2,
        slots: [{ role: 'signer', party: 'company', order: 1, source: 'responsible' }, { role: 'signer', party: 'client', order: 2, source: 'contact' }],
        recipientNames: ['Ivan Petrov', 'Maria Rossi'],
      }),
    });
    expect(put.status).toBe(204);
    const state = (await (await app.request('/api/card/items/2/555', { headers: { authorization: await bearer(portal) } })).json()) as { lastUsed: { templateId: string; slots: unknown[] } };
    expect(state.lastUsed.templateId).toBe('tpl_supply');
    expect(state.lastUsed.slots).toHaveLength(2);
    const html = await (await framePost(portal, 'CRM_DEAL_DETAIL_TAB', { ID: '555' })).text();
    expect(html).toContain('Use the same template');
    expect(html).not.toContain('anyway');
    expect(html).toContain('“Supply contract” (contract) to Ivan Petrov, Maria Rossi');
    // Another portal has its own memory.
    const theirs = (await (await app.request('/api/card/items/2/555', { headers: { authorization: await bearer(other) } })).json()) as { lastUsed: unknown };
    expect(theirs.lastUsed).toBeNull();
  });

  it('rejects a malformed last-used body', async () => {
    const res = await app.request('/api/card/last-used', {
      method: 'PUT',
      headers: { authorization: await bearer(portal), 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'contract', slots: 'nope' }),
    });
    expect(res.status).toBe(400);
  });
});

describe('placement assets', () => {
  it('serves the bundled page scripts and pdf.js’s worker (shared with the signing page), and nothing else', async () => {
    const card = await app.request('/assets/placements/crm-card.js');
    expect(card.status).toBe(200);
    expect(card.headers.get('content-type')).toContain('javascript');
    const js = await card.text();
    expect(js.length).toBeLessThan(20_000);
    const etag = card.headers.get('etag')!;
    expect((await app.request('/assets/placements/crm-card.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await app.request('/assets/pdfjs/pdf.worker.min.mjs')).status).toBe(200);
    expect((await app.request('/assets/placements/nope.js')).status).toBe(404);
    expect((await app.request('/assets/placements/..%2Fbuild.ts')).status).toBe(404);
  });
});
