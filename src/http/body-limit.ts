import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config.js';
import type { AppEnv } from '../types.js';
import { AppError } from './errors.js';
import { DEFAULT_FORM_LIMITS } from './form.js';

/**
 * Every request body is capped before anything reads or parses it, sized per door. One table, so
 * a new route is covered without remembering to (test/integration/body-limits.test.ts walks every
 * route that takes a body). hono's bodyLimit refuses a declared Content-Length over the cap at
 * once, before a byte is read, and cuts a chunked body off as soon as it passes the cap.
 */
export interface BodyCap {
  maxBytes: number;
  code: 'PAYLOAD_TOO_LARGE' | 'PDF_TOO_LARGE';
  /** The limit people are told: for a PDF its own size limit, not the framing around it. */
  limit?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** Multipart framing around an uploaded PDF; the PDF itself is measured exactly by its door. */
const MULTIPART_OVERHEAD = 64 * KiB;
const base64 = (n: number) => Math.ceil(n / 3) * 4;

export function bodyCapFor(path: string, config: Pick<Config, 'UPLOAD_MAX_BYTES'>): BodyCap {
  const pdf = config.UPLOAD_MAX_BYTES;
  // Public verification and template uploads: a PDF, raw or in a multipart form.
  if (path === '/api/verify' || path === '/v' || path === '/api/templates/uploads') return { maxBytes: pdf + MULTIPART_OVERHEAD, code: 'PDF_TOO_LARGE', limit: pdf };
  // Creating an envelope may carry the PDF as base64 in its JSON.
  if (path === '/api/envelopes') return { maxBytes: base64(pdf) + MiB, code: 'PAYLOAD_TOO_LARGE' };
  // Signing: field values plus a signature and a stamp image (each ≤ 1.5 MB, base64 in JSON).
  if (/^\/api\/sign\/[^/]+\/sign$/.test(path) || path === '/api/in-portal/sign') return { maxBytes: 8 * MiB, code: 'PAYLOAD_TOO_LARGE' };
  // The rest of the public signing page: a code, a decline reason.
  if (path.startsWith('/api/sign/')) return { maxBytes: 64 * KiB, code: 'PAYLOAD_TOO_LARGE' };
  // Bitrix24's form POSTs (install, events, placements, robots), as form.ts parses them.
  if (path.startsWith('/b24/')) return { maxBytes: DEFAULT_FORM_LIMITS.maxBytes, code: 'PAYLOAD_TOO_LARGE' };
  // The development sandbox relays its emulated portal's REST calls, files included.
  if (path.startsWith('/sandbox/')) return { maxBytes: base64(pdf) + MiB, code: 'PAYLOAD_TOO_LARGE' };
  // Portal settings: a PKCS#12 (≤ 64 KB) or a logo (≤ 256 KB) as base64 in JSON (src/settings/store.ts).
  if (path === '/api/settings' || path.startsWith('/api/settings/')) return { maxBytes: 512 * KiB, code: 'PAYLOAD_TOO_LARGE' };
  // Every other JSON door (card, templates, envelopes' actions).
  return { maxBytes: MiB, code: 'PAYLOAD_TOO_LARGE' };
}

const mb = (n: number) => `${(n / MiB).toFixed(1)} MB`;

function tooLarge(cap: BodyCap): never {
  const what = cap.code === 'PDF_TOO_LARGE' ? 'The file' : 'The request body';
  const limit = cap.limit ?? cap.maxBytes;
  throw new AppError(cap.code, `${what} is larger than the limit of ${mb(limit)}.`, { limit });
}

export function capBodies(config: Pick<Config, 'UPLOAD_MAX_BYTES'>): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const cap = bodyCapFor(c.req.path, config);
    // A declared length without chunked encoding is judged from the header, as bodyLimit would (the
    // HTTP parser delivers exactly that many bytes). Not touching `c.req.raw.body` spares Node's
    // adapter from building a web stream for a body the door then reads in one piece.
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) return Number.parseInt(declared, 10) > cap.maxBytes ? tooLarge(cap) : next();
    if (!c.req.raw.body) return next();
    return bodyLimit({ maxSize: cap.maxBytes, onError: () => tooLarge(cap) })(c, next);
  };
}
