/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import { RegistrationError } from '../bitrix24/registration.js';
import { catalogFor, format, pickLang, type Lang } from '../i18n/index.js';
import { errorBody, toAppError, type ErrorCode } from '../http/errors.js';
import { claimedOrigin, withFrameHeaders } from '../http/frame-headers.js';
import { parseQuery } from '../http/form.js';
import type { AppEnv } from '../types.js';
import { FramePage } from './frame-page.js';
import { INSTALL_MESSAGES, type InstallProblem } from './install-texts.js';

/** An error a frame door can explain to the person in front of the portal. */
export class FrameProblem extends Error {
  constructor(
    readonly problem: InstallProblem,
    readonly status: 400 | 401 | 403 | 409 | 502,
    readonly vars: Record<string, string> = {},
    readonly code: ErrorCode = 'FORBIDDEN',
  ) {
    super(problem);
    this.name = 'FrameProblem';
  }
}

function problemOf(e: unknown): { problem: InstallProblem; status: number; code: string; vars: Record<string, string> } {
  if (e instanceof FrameProblem) return { problem: e.problem, status: e.status, code: e.code, vars: e.vars };
  if (e instanceof RegistrationError) {
    const failed = e.report.items.filter((i) => i.outcome === 'failed').map((i) => `${i.name}: ${i.error}`);
    const detail = failed.join('; ') || e.message;
    // For a scope problem Bitrix24 names what it refused, not the scope: show that in place of the list.
    return { problem: e.problem, status: 502, code: 'BITRIX24_ERROR', vars: { error: detail, scopes: detail } };
  }
  const err = toAppError(e);
  const map: Partial<Record<ErrorCode, InstallProblem>> = {
    UNAUTHORIZED: 'unauthorized',
    BITRIX24_UNREACHABLE: 'unreachable',
    BITRIX24_ERROR: 'unreachable',
    VALIDATION_FAILED: 'bad_request',
    BAD_REQUEST: 'bad_request',
    PAYLOAD_TOO_LARGE: 'bad_request',
    UNSUPPORTED_MEDIA_TYPE: 'bad_request',
    NOT_FOUND: 'bad_request',
  };
  if (err.details?.reason === 'not_installed') return { problem: 'not_installed', status: err.status, code: err.code, vars: {} };
  return { problem: map[err.code] ?? (err.status >= 500 ? 'internal' : 'bad_request'), status: err.status, code: err.code, vars: { error: err.code } };
}

/**
 * The onError of frame doors: a page that says what to do, in the user's language, framable by
 * the portal the request *claims* (the page holds nothing worth protecting, and a blank frame
 * helps nobody). Server-to-server callers (no text/html in Accept) get the usual JSON error.
 */
export function frameProblemHandler(e: Error, c: Context<AppEnv>): Response | Promise<Response> {
  const { problem, status, code, vars } = problemOf(e);
  const log = c.var.logger;
  if (status >= 500 && !(e instanceof RegistrationError)) log?.error({ err: e }, 'frame door failed');
  else log?.info({ problem, code }, 'frame door refused');
  const q = parseQuerySafe(c.req.url);
  const wantsPage = (c.req.header('accept') ?? '').includes('text/html');
  if (!wantsPage) {
    const explained = e instanceof FrameProblem || e instanceof RegistrationError;
    const body = explained
      ? { error: { code, message: format(INSTALL_MESSAGES[problem].en, { publicUrl: c.var.services.config.publicUrl, scopes: '', error: '', ...vars }), requestId: c.var.requestId, details: { problem, ...vars } } }
      : errorBody(toAppError(e), c.var.requestId);
    return c.json(body, status as 400);
  }
  const lang: Lang = pickLang(typeof q.LANG === 'string' ? q.LANG : undefined);
  const t = catalogFor(INSTALL_MESSAGES, lang);
  const text = format(t[problem], { publicUrl: c.var.services.config.publicUrl, scopes: '', error: code, ...vars });
  const page = (
    <FramePage lang={lang} title={t.problemTitle}>
      <h1>{t.problemTitle}</h1>
      <div class="panel">
        <p>{text}</p>
        <p class="muted">
          {t.errorCode}: <code>{code}</code> · {t.requestId}: <code>{c.var.requestId}</code>
        </p>
      </div>
    </FramePage>
  );
  const res = c.html(`<!doctype html>${page}`, status as 400);
  return withFrameHeaders(res, claimedOrigin(typeof q.DOMAIN === 'string' ? q.DOMAIN : undefined, typeof q.PROTOCOL === 'string' ? q.PROTOCOL : undefined));
}

function parseQuerySafe(url: string): Record<string, unknown> {
  try {
    return parseQuery(url);
  } catch {
    return {};
  }
}
