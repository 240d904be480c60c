import type { Envelope, EnvelopeStatus } from '../db/schema/envelopes.js';
import type { Recipient } from '../db/schema/recipients.js';
import type { Lang } from '../i18n/index.js';
import { timelineTexts } from './texts.js';

/**
 * The one configurable activity per envelope (reference §7.2 LayoutDto): a status tag, progress
 * (who signed, who is next), the reason when it ended badly, and two buttons: open the envelope in
 * the app (REST_APP_URI deep link, a portal-relative path so it opens in a slider) and, once sealed,
 * download the PDF. Pure: the same envelope state always gives the same layout (and hash).
 */
export interface LayoutLinks {
  /** Portal-relative `/marketplace/view/<app>/?params[envelopeId]=…`. */
  openPath: string;
  /** Absolute link to the sealed PDF; absent until sealed. */
  pdfUrl?: string;
}

const TAG_TYPE: Record<EnvelopeStatus, 'primary' | 'warning' | 'success' | 'failure' | 'secondary'> = {
  draft: 'secondary',
  sent: 'primary',
  in_progress: 'warning',
  completed: 'success',
  declined: 'failure',
  expired: 'secondary',
  voided: 'secondary',
};

const required = (r: Recipient) => r.role === 'signer' || r.role === 'approver';
const isDone = (r: Recipient) => r.status === 'signed' || r.status === 'approved';

/** Who signed, who is due now (the lowest order number not done), in order. */
export function progressOf(recipients: Recipient[]) {
  const req = recipients.filter(required);
  const done = req.filter(isDone);
  const pending = req.filter((r) => !isDone(r) && r.status !== 'declined' && r.status !== 'expired');
  const nextOrder = pending.length ? Math.min(...pending.map((r) => r.signOrder)) : undefined;
  const next = nextOrder === undefined ? [] : pending.filter((r) => r.signOrder === nextOrder);
  return { total: req.length, done, next };
}

const text = (value: string) => ({ type: 'text', properties: { value } });
const withTitle = (title: string, value: string) => ({ type: 'withTitle', properties: { title, block: text(value) } });

export function activityLayout(env: Pick<Envelope, 'title' | 'status' | 'publicId' | 'endReason'>, recipients: Recipient[], lang: Lang, links: LayoutLinks): Record<string, unknown> {
  const t = timelineTexts(lang);
  const p = progressOf(recipients);
  const blocks: Record<string, unknown> = {
    progress: withTitle(t('block.progress'), t('block.progress.value', { done: p.done.length, total: p.total })),
  };
  if (p.done.length) blocks.signed = withTitle(t('block.signed'), p.done.map((r) => r.name).join(', '));
  const open = env.status === 'sent' || env.status === 'in_progress';
  if (open && p.next.length) blocks.next = withTitle(t('block.next'), p.next.map((r) => r.name).join(', '));
  if ((env.status === 'declined' || env.status === 'voided') && env.endReason) blocks.reason = withTitle(t('block.reason'), env.endReason);
  blocks.document = withTitle(t('block.document'), env.publicId);

  const buttons: Record<string, unknown> = {
    open: { title: t('button.open'), type: 'primary', action: { type: 'redirect', uri: links.openPath } },
  };
  if (links.pdfUrl) buttons.pdf = { title: t('button.pdf'), type: 'secondary', action: { type: 'redirect', uri: links.pdfUrl } };

  return {
    icon: { code: 'document' },
    header: {
      title: t('activity.title', { title: env.title }),
      tags: { status: { title: t(`status.${env.status}`), type: TAG_TYPE[env.status] } },
    },
    body: { logo: { code: 'document' }, blocks },
    footer: { buttons },
  };
}

/** Stable text of a JSON value (keys sorted), for the "did the layout change?" hash. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}
