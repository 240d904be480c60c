import { eq } from 'drizzle-orm';
import { portals } from '../../src/db/schema/portals.js';
import { createEnvelope, sendEnvelope } from '../../src/signing/envelopes.js';
import type { RobotWorld } from './robot.js';
import { FIELDS, samplePdf } from './signing.js';

/** What the CRM card does: envelopes bound to a deal, sent by portal user 1 to a company and a client signer. */
export async function cardEnvelopes(w: RobotWorld) {
  const portalId = (await w.services.db.select().from(portals).where(eq(portals.memberId, w.memberId)))[0]!.id;
  const pdf = await samplePdf();
  return {
    portalId,
    async send(dealId: number, title: string) {
      const env = await createEnvelope(w.services, {
        portalId,
        userId: 1,
        title,
        lang: 'en',
        pdf,
        // No client text field: the signer helper signs without filling values.
        fields: FIELDS.filter((f) => f.key !== 'client_vat').map((f) => ({ ...f })) as never,
        crm: { entityTypeId: 2, entityId: dealId },
        recipients: [
          { party: 'company', name: 'Anna Rossi', email: 'anna@seller.example', b24UserId: 1 },
          { party: 'client', name: 'Ivan Petrov', email: 'ivan@buyer.example' },
        ],
        who: { actor: 'user:1' },
      });
      await sendEnvelope(w.services, { portalId, envelopeId: env.id, who: { actor: 'user:1' } });
      return { env, dealId, rs: await w.recipientsOf(env.id) };
    },
  };
}
