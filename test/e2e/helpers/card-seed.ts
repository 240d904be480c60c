/**
 * Rows the CRM card tests and the card bench start from: an installed portal and envelopes with
 * recipients in every state the list shows, inserted directly (the signing domain has its own tests).
 */
import { saveBlob } from '../../../src/blobs/blobs.js';
import { postgresBlobStore } from '../../../src/blobs/postgres-store.js';
import { envelopes, type EnvelopeStatus } from '../../../src/db/schema/envelopes.js';
import { portals } from '../../../src/db/schema/portals.js';
import { recipients, type RecipientStatus } from '../../../src/db/schema/recipients.js';
import type { Database } from '../../../src/db/client.js';
import { newId, randomToken, realIds } from '../../../src/lib/ids.js';
import { systemClock } from '../../../src/lib/clock.js';
import { storedTokenColumns } from '../../helpers/portal-tokens.js';

export interface SeededPortal {
  id: string;
  memberId: string;
  domain: string;
  applicationToken: string;
  accessToken: string;
}

export async function seedPortal(db: Database, o: { domain?: string; clientEndpoint?: string; memberId?: string } = {}): Promise<SeededPortal> {
  const p: SeededPortal = {
    id: newId('prt'),
    memberId: o.memberId ?? `m${randomToken(16).toLowerCase()}`,
    domain: o.domain ?? 'acme.bitrix24.test',
    applicationToken: randomToken(32),
    accessToken: randomToken(32),
  };
  await db.insert(portals).values({
    id: p.id,
    memberId: p.memberId,
    domain: p.domain,
    clientEndpoint: o.clientEndpoint ?? `https://${p.domain}/rest/`,
    serverEndpoint: 'https://oauth.bitrix24.test/rest/',
    ...(await storedTokenColumns(p.id, { applicationToken: p.applicationToken, accessToken: p.accessToken, refreshToken: randomToken(32) })),
    expiresAt: new Date(Date.now() + 3600_000),
    scope: 'crm,placement,user_brief,documentgenerator',
    status: 'installed',
  });
  return p;
}

export interface SeedRecipient {
  name: string;
  email: string;
  party: 'company' | 'client';
  order: number;
  status: RecipientStatus;
  at?: Date;
  declineReason?: string;
}

export async function seedEnvelope(
  db: Database,
  o: { portalId: string; entityTypeId: number; entityId: number; title: string; status: EnvelopeStatus; createdAt?: Date; sealed?: boolean; recipients: SeedRecipient[] },
): Promise<string> {
  const id = newId('env');
  const createdAt = o.createdAt ?? new Date();
  // A sealed one gets stub PDFs in the blob store the services read (PostgreSQL's, on the same database).
  const blob = async (kind: 'source' | 'sealed') =>
    saveBlob({ db, blobs: postgresBlobStore(db), clock: systemClock, ids: realIds }, { portalId: o.portalId, kind, bytes: new Uint8Array([37, 80, 68, 70]), contentType: 'application/pdf' });
  const sealed = o.status === 'completed' && o.sealed ? { sourcePdfKey: await blob('source'), sourceSha256: 'b'.repeat(64), sealedPdfKey: await blob('sealed'), sealedSha256: 'a'.repeat(64), sealedAt: createdAt } : {};
  await db.insert(envelopes).values({
    id,
    portalId: o.portalId,
    crmEntityTypeId: o.entityTypeId,
    crmEntityId: o.entityId,
    title: o.title,
    status: o.status,
    lang: 'en',
    timers: { reminderFirstDays: 3, reminderEveryDays: 2, reminderMax: 5, expiryDays: 30 },
    publicId: `B24S-${randomToken(4).toUpperCase()}-${randomToken(4).toUpperCase()}-${randomToken(4).toUpperCase()}`,
    createdAt,
    updatedAt: createdAt,
    ...(o.status === 'sent' || o.status === 'in_progress' || o.status === 'completed' ? { sentAt: createdAt } : {}),
    ...(o.status === 'completed' ? { completedAt: createdAt, ...sealed } : {}),
  });
  if (o.recipients.length) {
    await db.insert(recipients).values(
      o.recipients.map((r) => ({
        id: newId('rcp'),
        portalId: o.portalId,
        envelopeId: id,
        role: 'signer' as const,
        party: r.party,
        signOrder: r.order,
        name: r.name,
        email: r.email,
        status: r.status,
        invitedAt: r.status === 'waiting' ? null : (r.at ?? createdAt),
        openedAt: ['opened', 'verified', 'signed', 'declined'].includes(r.status) ? (r.at ?? createdAt) : null,
        verifiedAt: ['verified', 'signed'].includes(r.status) ? (r.at ?? createdAt) : null,
        doneAt: ['signed', 'declined', 'approved'].includes(r.status) ? (r.at ?? createdAt) : null,
        declineReason: r.declineReason ?? null,
      })),
    );
  }
  return id;
}

/** A realistic mix: the list shows every status and every recipient state. */
export async function seedManyEnvelopes(db: Database, o: { portalId: string; entityTypeId: number; entityId: number; count: number }) {
  const statuses: EnvelopeStatus[] = ['in_progress', 'completed', 'sent', 'declined', 'voided', 'expired', 'draft'];
  const ids: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const status = statuses[i % statuses.length]!;
    const company: RecipientStatus = status === 'draft' ? 'waiting' : 'signed';
    const client: RecipientStatus =
      status === 'completed' ? 'signed' : status === 'declined' ? 'declined' : status === 'in_progress' ? 'opened' : status === 'sent' ? 'invited' : status === 'expired' ? 'expired' : 'waiting';
    ids.push(
      await seedEnvelope(db, {
        ...o,
        title: `Supply contract No. ${1000 + i}`,
        status,
        sealed: status === 'completed',
        createdAt: new Date(Date.UTC(2026, 10, 1, 9, 0) + i * 3600_000),
        recipients: [
          { name: 'Ivan Petrov', email: 'ivan.petrov@acme.test', party: 'company', order: 1, status: company },
          { name: 'Maria Rossi', email: 'maria@client.test', party: 'client', order: 2, status: client, ...(client === 'declined' ? { declineReason: 'Wrong amount' } : {}) },
        ],
      }),
    );
  }
  return ids;
}
