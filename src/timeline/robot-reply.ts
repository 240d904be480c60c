import type { Envelope } from '../db/schema/envelopes.js';
import type { Recipient } from '../db/schema/recipients.js';
import type { Lang } from '../i18n/index.js';
import { timelineTexts } from './texts.js';

/** What the robot returns to the workflow (its RETURN_PROPERTIES, manifest.ts). Part of the timeline plan: the reply goes out
 * with the envelope's other Bitrix24 writes (bizproc.event.send in timeline/flush.ts). */
export type RobotOutcome = 'signed' | 'declined' | 'expired' | 'voided' | 'sent' | 'error';

export interface RobotReturnValues {
  envelope_id: string;
  status: RobotOutcome;
  signed_pdf_url: string;
  verify_url: string;
  decline_reason: string;
}

export const OUTCOME_OF: Partial<Record<Envelope['status'], RobotOutcome>> = {
  completed: 'signed',
  declined: 'declined',
  expired: 'expired',
  voided: 'voided',
};

/**
 * RETURN_VALUES and LOG_MESSAGE for bizproc.event.send once the envelope has ended (or, with
 * "wait" off, right after sending). Every key is always present: a workflow condition on an
 * absent value would compare against whatever the variable held before.
 */
export function robotReply(
  env: Pick<Envelope, 'id' | 'status' | 'publicId' | 'endReason'>,
  recipients: Recipient[],
  lang: Lang,
  links: { verifyUrl: string; pdfUrl?: string },
  outcome: RobotOutcome,
): { returnValues: RobotReturnValues; logMessage: string } {
  const t = timelineTexts(lang);
  const decliner = recipients.find((r) => r.status === 'declined');
  const declineReason = outcome === 'declined' ? (decliner?.declineReason ?? env.endReason ?? '') : '';
  const id = env.publicId;
  const logMessage =
    outcome === 'signed'
      ? t('robot.result.completed', { id })
      : outcome === 'declined'
        ? t('robot.result.declined', { id, name: decliner?.name ?? '?', reason: declineReason })
        : outcome === 'expired'
          ? t('robot.result.expired', { id })
          : outcome === 'voided'
            ? t('robot.result.voided', { id, reason: env.endReason ?? '' })
            : t('robot.result.sent', { id });
  return {
    returnValues: {
      envelope_id: env.id,
      status: outcome,
      signed_pdf_url: outcome === 'signed' ? (links.pdfUrl ?? '') : '',
      verify_url: links.verifyUrl,
      decline_reason: declineReason,
    },
    logMessage,
  };
}

/** The robot ended without an envelope: bad settings or data. The workflow sees status "error". */
export function robotErrorReply(logMessage: string): { returnValues: RobotReturnValues; logMessage: string } {
  return { returnValues: { envelope_id: '', status: 'error', signed_pdf_url: '', verify_url: '', decline_reason: '' }, logMessage };
}
