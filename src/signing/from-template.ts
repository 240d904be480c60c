import type { Envelope, EnvelopeLang } from '../db/schema/envelopes.js';
import { AppError } from '../http/errors.js';
import type { Services } from '../services.js';
import type { Actor } from './audit.js';
import type { RecipientInput } from './envelopes.js';

export interface FromTemplateInput {
  portalId: string;
  userId?: number;
  templateId: string;
  crm: { entityTypeId: number; entityId: number };
  title?: string;
  lang: EnvelopeLang;
  recipients?: RecipientInput[];
  timers?: { reminderFirstDays?: number; reminderEveryDays?: number; reminderMax?: number; expiryDays?: number };
  who: Actor;
}

/** Template + CRM item → envelope. Wired to the documents module (renderDocument) once it lands. */
export async function createEnvelopeFromTemplate(_services: Services, _p: FromTemplateInput): Promise<Envelope> {
  throw new AppError('SERVICE_UNAVAILABLE', 'Creating from a template is not available yet; upload a PDF instead.');
}
