/**
 * The envelope list's buttons, wired once by delegation so the list can be swapped for a fresh
 * server-rendered fragment after every action.
 */
import type { Api } from './api.js';
import { userMessage } from './errors.js';
import type { PageBoot, Translate } from './boot.js';
import type { Frame } from './bx24.js';
import { confirmDialog, toast } from './dom.js';
import type { Endpoints } from './endpoints.js';

export interface ListDeps {
  boot: PageBoot;
  t: Translate;
  api: Api;
  ep: Endpoints;
  frame: Frame;
  refresh(): Promise<void>;
}

export function wireListActions(root: HTMLElement, d: ListDeps) {
  const { t, ep } = d;
  const fail = (e: unknown) => toast(userMessage(t, e));
  root.addEventListener('click', async (ev) => {
    const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
    if (!btn || !root.contains(btn)) return;
    const envelopeId = btn.dataset.envelope ?? '';
    const recipientId = btn.dataset.recipient ?? '';
    switch (btn.dataset.action) {
      case 'open': {
        // Opens the envelope in the portal's slider through the REST_APP_URI deep link.
        const path = `${new URL(d.boot.appLinkBase).pathname}?params%5BenvelopeId%5D=${encodeURIComponent(envelopeId)}`;
        if (!d.frame.openPath(path)) window.open(`${d.boot.appLinkBase}?params%5BenvelopeId%5D=${encodeURIComponent(envelopeId)}`, '_blank', 'noopener');
        return;
      }
      case 'resend':
        return run(btn, async () => {
          await ep.resend(envelopeId, recipientId);
          toast(t('toast.resent'));
        });
      case 'change-email': {
        const email = await confirmDialog({ text: t('action.changeEmail'), ok: t('action.save'), cancel: t('action.cancel'), input: { label: t('new.email'), value: btn.dataset.email ?? '', type: 'email' } });
        if (email === null || !email.trim()) return;
        return run(btn, async () => {
          await ep.changeEmail(envelopeId, recipientId, email.trim());
          toast(t('toast.saved'));
        });
      }
      case 'void': {
        const reason = await confirmDialog({ text: t('confirm.void', { title: btn.dataset.title ?? '' }), ok: t('action.void'), cancel: t('action.cancel'), danger: true, input: { label: t('confirm.voidReason') } });
        if (reason === null) return;
        return run(btn, async () => {
          await ep.void(envelopeId, reason);
          toast(t('toast.voided'));
        });
      }
      case 'download':
        return run(btn, async () => {
          const res = await d.api.raw(btn.dataset.href!);
          const url = URL.createObjectURL(await res.blob());
          const a = document.createElement('a');
          a.href = url;
          const ext = btn.dataset.ext === 'zip' ? '-evidence.zip' : '.pdf';
          a.download = `${btn.closest('article')?.querySelector('.env-title')?.textContent?.trim() || envelopeId}${ext}`;
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        }, false);
      case 'copy-verify': {
        const href = btn.dataset.href!;
        if (await copyText(href)) toast(t('toast.copied'));
        // Nothing could reach the clipboard: show the link selectable instead.
        else window.prompt(t('action.copyVerify'), href);
        return;
      }
    }
  });

  async function run(btn: HTMLButtonElement, fn: () => Promise<void>, refresh = true) {
    btn.disabled = true;
    try {
      await fn();
      if (refresh) await d.refresh();
    } catch (e) {
      fail(e);
    } finally {
      btn.disabled = false;
    }
  }
}

/**
 * The async Clipboard API is blocked in a cross-origin iframe unless the portal's <iframe> allows it
 * (permissions policy); a selected textarea and execCommand('copy') still work on a user click.
 */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;top:0;left:0;opacity:0';
    document.body.appendChild(area);
    area.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}
