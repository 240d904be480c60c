/**
 * The public verify door (no account): anyone holding a PDF or a document id.
 *   GET  /v              upload page (drag and drop) + document id field (GET /v?id=… redirects)
 *   POST /v              multipart `file` → verdict page, details folded
 *   GET  /v/:publicId    the sealed document's public summary, with the upload form to compare a copy
 *   GET  /v/:sha256      the shareable result link: the stored sealed file with this hash, checked again
 *                        (the same page an upload of that file shows; nothing more), rate-limited
 *   POST /api/verify     multipart `file` or a raw application/pdf body → the same verdict as JSON
 * Minimal projection only (projection.ts); uploads capped at UPLOAD_MAX_BYTES (http/body-limit.ts, then
 * exactly here); per-IP rate limit;
 * verification runs in a worker thread bounded by time and heap (verify/off-thread.ts) and its work
 * is linear in the file (verify/scan.ts); nothing uploaded is stored.
 */
import { Hono, type Context } from 'hono';
import type { FC, PropsWithChildren } from 'hono/jsx';
import { ipRateLimit } from '../http/ip-limit.js';
import { AppError } from '../http/errors.js';
import { format, pickLang, type Lang } from '../i18n/index.js';
import { publicDocument, publicVerifyResult, type PublicVerifyResult } from '../documents/verify/projection.js';
import { createSealedDocumentLookup, type SealedDocumentLookup } from '../documents/verify/sealed-documents.js';
import { VERDICT_TEXTS, VERIFY_TEXTS, verifyMessage, type VerifyTextKey } from '../documents/verify/texts.js';
import { codeAnomaly, codeProblem } from '../documents/verify/message-codes.js';
import { verifyPdfOffThread } from '../documents/verify/off-thread.js';
import { findSealedByOriginal, type KnownOriginal } from '../documents/verify/known-original.js';
import { portalTrustForSha256 } from '../documents/verify/portal-trust.js';
import { sha256HexOf } from '../lib/digest.js';
import { KnownOriginalView } from './verify-original.js';
import { FILE_CONTROL_CSS, FILE_CONTROL_SCRIPT, FileControl } from './file-control.js';
import { sealedDocumentAudit, storedSealedFile, type PartyIdentification, type SealedDocumentAudit } from '../documents/verify/identification.js';
import type { Services } from '../services.js';
import type { AppEnv } from '../types.js';
import { formatDateTime } from '../i18n/dates.js';

function langOf(c: Context, fallback?: string): Lang {
  const q = c.req.query('lang');
  if (q) return pickLang(q);
  const accept = c.req.header('accept-language');
  if (accept) return pickLang(accept.split(',')[0]);
  return pickLang(fallback);
}

const lookupOf = (s: Services): SealedDocumentLookup => s.sealedDocuments ?? createSealedDocumentLookup(s.db);

/** Public ids are printed on paper: accept lower case and stray spaces, refuse anything odd. */
export function normalisePublicId(raw: string): string | null {
  const id = raw.trim().toUpperCase().replace(/\s+/g, '');
  return /^[A-Z0-9-]{4,64}$/.test(id) ? id : null;
}

async function readUpload(c: Context, maxBytes: number): Promise<Uint8Array> {
  const type = c.req.header('content-type') ?? '';
  let bytes: Uint8Array;
  if (type.startsWith('multipart/form-data')) {
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File)) throw new AppError('BAD_REQUEST', 'Attach the PDF as the form field "file".');
    if (file.size > maxBytes) throw new AppError('PDF_TOO_LARGE', `The file is larger than ${Math.floor(maxBytes / 1048576)} MB.`);
    bytes = new Uint8Array(await file.arrayBuffer());
  } else if (type.startsWith('application/pdf') || type.startsWith('application/octet-stream')) {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } else {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the PDF as multipart/form-data (field "file") or as application/pdf.');
  }
  if (bytes.length === 0) throw new AppError('BAD_REQUEST', 'The file is empty.');
  if (bytes.length > maxBytes) throw new AppError('PDF_TOO_LARGE', `The file is larger than ${Math.floor(maxBytes / 1048576)} MB.`);
  return bytes;
}

async function verifyUpload(c: Context<AppEnv>): Promise<PublicVerifyResult & { originalOf: KnownOriginal[] }> {
  const s = c.var.services;
  const bytes = await readUpload(c, s.config.UPLOAD_MAX_BYTES);
  const result = await checkBytes(s, bytes);
  // A file we appended a seal to (an upload, a document-generator PDF) is recognised as that original.
  return { ...publicVerifyResult(result), originalOf: await findSealedByOriginal(s.db, result.sha256) };
}

/** One check for an upload and for a stored file (the shareable link). */
async function checkBytes(s: Services, bytes: Uint8Array) {
  const lookup = lookupOf(s);
  // A portal's own seal certificate is trusted for that portal's sealed documents only (portal-trust.ts):
  // the file's hash (WebCrypto, off the event loop) picks the record, hence the portal, before the check.
  const portal = await portalTrustForSha256(s.db, await sha256HexOf(bytes));
  return verifyPdfOffThread(bytes, {
    trustRoots: [...s.sealer.trustRoots, ...(portal?.roots ?? [])],
    ownCertificates: [s.sealer.certificates[0]!, ...(portal?.leaves ?? [])],
    lookupBySha256: (sha) => lookup.bySha256(sha),
    now: s.clock.now(),
    offThread: s.offThread,
  });
}

type CheckedResult = PublicVerifyResult & { originalOf: KnownOriginal[] };

/** The audit record of a sealed document we found (how the parties were identified, the original's hash). */
async function auditOf(s: Services, result: PublicVerifyResult): Promise<SealedDocumentAudit | null> {
  return result.document ? sealedDocumentAudit(s.db, result.document.publicId) : null;
}

/** GET /v/<sha256>: the stored sealed file with exactly this hash, checked as an upload of it would be. */
async function verifyStored(c: Context<AppEnv>, sha256: string): Promise<CheckedResult | null> {
  const s = c.var.services;
  const bytes = await storedSealedFile(s, sha256);
  if (!bytes) return null;
  const result = await checkBytes(s, bytes);
  if (result.sha256 !== sha256.toLowerCase()) return null;
  return { ...publicVerifyResult(result), originalOf: [] };
}

/** The result page, for an upload and for its shareable link alike. */
const ResultPage: FC<{ c: Context<AppEnv>; lang: Lang; result: CheckedResult; audit: SealedDocumentAudit | null }> = ({ c, lang, result, audit }) => (
  <Page lang={lang} title={t(lang, 'resultTitle')} nonce={c.var.cspNonce}>
    <KnownOriginalView lang={lang} originals={result.originalOf} />
    <VerdictView lang={lang} result={result} audit={audit} shareUrl={result.document ? `${c.var.services.config.publicUrl}/v/${result.file.sha256}?lang=${lang}` : null} />
    <UploadForm lang={lang} maxBytes={c.var.services.config.UPLOAD_MAX_BYTES} again />
  </Page>
);

export function verifyRoutes() {
  // One limiter per app instance (not per module): tests and instances do not share buckets.
  const rateLimit = ipRateLimit((config) => config.VERIFY_RATE_PER_MINUTE);
  const app = new Hono<AppEnv>();

  app.get('/v', (c) => {
    const id = c.req.query('id');
    if (id !== undefined) {
      const norm = normalisePublicId(id);
      if (norm) return c.redirect(`/v/${encodeURIComponent(norm)}${c.req.query('lang') ? `?lang=${langOf(c)}` : ''}`, 303);
    }
    const lang = langOf(c);
    return c.html(
      <Page lang={lang} title={t(lang, 'pageTitle')} nonce={c.var.cspNonce}>
        <UploadForm lang={lang} maxBytes={c.var.services.config.UPLOAD_MAX_BYTES} />
      </Page>,
    );
  });

  app.post('/v', rateLimit, async (c) => {
    const lang = langOf(c);
    const result = await verifyUpload(c);
    return c.html(<ResultPage c={c} lang={lang} result={result} audit={await auditOf(c.var.services, result)} />);
  });

  app.get('/v/:publicId', rateLimit, async (c) => {
    const key = c.req.param('publicId') ?? '';
    if (/^[0-9a-fA-F]{64}$/.test(key)) {
      const shared = await verifyStored(c, key);
      if (shared) {
        const lang = langOf(c);
        return c.html(<ResultPage c={c} lang={lang} result={shared} audit={await auditOf(c.var.services, shared)} />);
      }
      // Not stored (or a file replaced by its long-term copy): the record's summary when we know the hash.
      const known = await lookupOf(c.var.services).bySha256(key);
      if (known) return c.redirect(`/v/${encodeURIComponent(known.publicId)}${c.req.query('lang') ? `?lang=${langOf(c)}` : ''}`, 303);
    }
    const id = normalisePublicId(key);
    const record = id ? await lookupOf(c.var.services).byPublicId(id) : null;
    const lang = langOf(c, record?.lang);
    if (!record) {
      return c.html(
        <Page lang={lang} title={t(lang, 'notFoundTitle')} nonce={c.var.cspNonce}>
          <section class="verdict warn">
            <h2>{t(lang, 'notFoundTitle')}</h2>
            <p>{t(lang, 'notFound')}</p>
          </section>
          <UploadForm lang={lang} maxBytes={c.var.services.config.UPLOAD_MAX_BYTES} />
        </Page>,
        404,
      );
    }
    const doc = publicDocument(record)!;
    const audit = await sealedDocumentAudit(c.var.services.db, doc.publicId);
    return c.html(
      <Page lang={lang} title={record.title} nonce={c.var.cspNonce}>
        <section class="verdict good">
          <h2>{record.title}</h2>
          <p>{t(lang, 'recordFound')}</p>
        </section>
        {doc.development ? <DevelopmentWarning lang={lang} /> : null}
        <DocumentView lang={lang} doc={doc} audit={audit} />
        <Fingerprints lang={lang} sealed={doc.sha256} original={audit?.originalSha256 ?? null} />
        <UploadForm lang={lang} maxBytes={c.var.services.config.UPLOAD_MAX_BYTES} />
      </Page>,
    );
  });

  app.post('/api/verify', rateLimit, async (c) => c.json(await verifyUpload(c)));

  return app;
}

/* ------------------------------------------------------------------------------ views ---- */

const t = (lang: Lang, key: VerifyTextKey) => VERIFY_TEXTS[key][lang] || VERIFY_TEXTS[key].en;
const tOpt = (lang: Lang, key: string, fallback: string) => (key in VERIFY_TEXTS ? t(lang, key as VerifyTextKey) : fallback);
const when = (iso: string | null, lang: Lang) =>
  iso ? formatDateTime(lang, iso) : '—';

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin:.2rem 0}.verdict{border-radius:.6rem;padding:1rem 1.2rem;margin:1rem 0;border:1px solid}
.good{background:#ecfdf5;border-color:#10b981}.bad{background:#fef2f2;border-color:#ef4444}.warn{background:#fffbeb;border-color:#f59e0b}.neutral{background:#eff6ff;border-color:#3b82f6}
.drop{display:block;border:2px dashed #9ca3af;border-radius:.6rem;padding:1.5rem;text-align:center;cursor:pointer}.drop.over{border-color:#2563eb;background:#eff6ff}
button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #2563eb;background:#2563eb;color:#fff;cursor:pointer}input[type=text]{font:inherit;padding:.45rem;border:1px solid #6b7280;border-radius:.4rem}
code.hash{word-break:break-all;font-size:.85rem}details{margin:1rem 0}dl{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:.2rem 1rem}dt{color:#4b5563}dd{margin:0;overflow-wrap:anywhere;min-width:0}
.explain{display:block;color:#4b5563;font-size:.85rem}nav a{margin-right:.6rem;display:inline-block;padding:.3rem .2rem}small{color:#4b5563}main{overflow-wrap:anywhere}
.share input{width:100%;box-sizing:border-box;font:inherit;font-size:.85rem;padding:.4rem;border:1px solid #6b7280;border-radius:.4rem}ul.ids{padding-left:1.2rem}ul.ids li{margin:.3rem 0}
a{color:#1d4ed8}
${FILE_CONTROL_CSS}
@media (max-width:34rem){dl{display:block}dt{margin-top:.6rem}dd{margin:0 0 .2rem}}`;

// Progressive enhancement only: the form works without it.
const DROP_SCRIPT = `document.querySelectorAll('.drop').forEach(function(z){var i=z.querySelector('input');var f=z.closest('form');
['dragenter','dragover'].forEach(function(e){z.addEventListener(e,function(ev){ev.preventDefault();z.classList.add('over')})});
['dragleave','drop'].forEach(function(e){z.addEventListener(e,function(){z.classList.remove('over')})});
z.addEventListener('drop',function(ev){ev.preventDefault();if(ev.dataTransfer&&ev.dataTransfer.files.length){i.files=ev.dataTransfer.files;f.submit()}});
});${FILE_CONTROL_SCRIPT}`;

/** `nonce`: this response's CSP nonce, so the inline drop script may run (src/http/security-headers.ts). */
const Page: FC<PropsWithChildren<{ lang: Lang; title: string; nonce: string }>> = ({ lang, title, nonce, children }) => (
  <html lang={lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width,initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{`${title} — b24-sign`}</title>
      <style dangerouslySetInnerHTML={{ __html: STYLE }} />
    </head>
    <body>
      <nav>
        <a href="?lang=en" hreflang="en">EN</a>
        <a href="?lang=it" hreflang="it">IT</a>
        <a href="?lang=ru" hreflang="ru">RU</a>
      </nav>
      <main>
        <h1>{t(lang, 'pageTitle')}</h1>
        {children}
      </main>
      <script nonce={nonce} dangerouslySetInnerHTML={{ __html: DROP_SCRIPT }} />
    </body>
  </html>
);

const UploadForm: FC<{ lang: Lang; maxBytes: number; again?: boolean }> = ({ lang, maxBytes, again }) => (
  <section>
    {again ? <h2>{t(lang, 'another')}</h2> : <p>{t(lang, 'intro')}</p>}
    <form method="post" action={`/v?lang=${lang}`} enctype="multipart/form-data">
      <div class="drop">
        <span>{t(lang, 'dropHere')}</span>
        <FileControl id="v-file" name="file" lang={lang} accept="application/pdf,.pdf" required label={t(lang, 'dropHere')} />
        <small>{format(t(lang, 'maxSize'), { mb: Math.floor(maxBytes / 1048576) })}</small>
      </div>
      <p>
        <button type="submit">{t(lang, 'check')}</button>
      </p>
    </form>
    <form method="get" action="/v">
      <input type="hidden" name="lang" value={lang} />
      <label>
        {t(lang, 'orId')}
        <br />
        <input type="text" name="id" placeholder="B24S-XXXX-XXXX-XXXX" autocomplete="off" maxlength={64} required />
      </label>{' '}
      <button type="submit">{t(lang, 'find')}</button>
    </form>
  </section>
);

/** One party's identification in plain words: the code to a masked address, or the Bitrix24 record; time and IP. */
const Identification: FC<{ lang: Lang; p: PartyIdentification }> = ({ lang, p }) => (
  <span data-identified-by={p.via}>
    {format(t(lang, p.action === 'approved' ? 'idApproved' : 'idSigned'), { when: when(p.at, lang), ip: p.ip ?? '—' })}{' '}
    {p.via === 'email_code'
      ? format(t(lang, 'idEmailCode'), { email: p.maskedEmail ?? '—', when: when(p.codeConfirmedAt ?? null, lang) })
      : p.via === 'bitrix24'
        ? format(t(lang, p.portal ? 'idBitrix24' : 'idBitrix24NoPortal'), { id: String(p.b24UserId ?? '—'), portal: p.portal ?? '' })
        : t(lang, 'idUnknown')}
  </span>
);

const DocumentView: FC<{ lang: Lang; doc: NonNullable<PublicVerifyResult['document']>; audit?: SealedDocumentAudit | null }> = ({ lang, doc, audit }) => (
  <section>
    <dl>
      <dt>{t(lang, 'document')}</dt>
      <dd>{doc.title}</dd>
      <dt>{t(lang, 'documentId')}</dt>
      <dd>{doc.publicId}</dd>
      <dt>{t(lang, 'status')}</dt>
      <dd>{tOpt(lang, `status_${doc.status}`, t(lang, 'status_other'))}</dd>
      <dt>{t(lang, 'sealedAt')}</dt>
      <dd>{when(doc.sealedAt, lang)}</dd>
      <dt>{t(lang, 'parties')}</dt>
      <dd>
        <ul>
          {doc.parties.map((p) => (
            <li>
              <strong>{p.name}</strong> — {tOpt(lang, `role_${p.role}`, p.role)}, {tOpt(lang, `party_${p.party}`, p.party)}
              {p.signedAt ? `, ${t(lang, 'signedAt')} ${when(p.signedAt, lang)}` : ''}
            </li>
          ))}
        </ul>
      </dd>
    </dl>
    {audit && audit.parties.length ? (
      <section aria-labelledby="ids-title" data-identification>
        <h2 id="ids-title">{t(lang, 'idTitle')}</h2>
        <ul class="ids">
          {audit.parties.map((p) => (
            <li>
              <strong>{p.name}</strong> ({tOpt(lang, `role_${p.role}`, p.role)}, {tOpt(lang, `party_${p.party}`, p.party)}): <Identification lang={lang} p={p} />
            </li>
          ))}
        </ul>
      </section>
    ) : null}
  </section>
);

/** A development seal is a warning of its own, never part of a green verdict. */
const DevelopmentWarning: FC<{ lang: Lang }> = ({ lang }) => (
  <section class="verdict warn" data-development role="note">
    <h2>{t(lang, 'developmentTitle')}</h2>
    <p>{t(lang, 'development')}</p>
  </section>
);

/** The two fingerprints, named and explained: this file (or the sealed file) and the original document. */
const Fingerprints: FC<{ lang: Lang; file?: string; sealed?: string; original: string | null }> = ({ lang, file, sealed, original }) => (
  <section data-fingerprints aria-labelledby="fp-title">
    <h2 id="fp-title">{t(lang, 'fpTitle')}</h2>
    <p class="explain">{t(lang, 'fpIntro')}</p>
    <dl>
      {file ? (
        <>
          <dt>{t(lang, 'fpThisFile')}</dt>
          <dd>
            <code class="hash" data-hash="file">{file}</code>
            <span class="explain">{t(lang, 'fpThisFileHelp')}</span>
          </dd>
        </>
      ) : null}
      {sealed ? (
        <>
          <dt>{t(lang, 'fpSealed')}</dt>
          <dd>
            <code class="hash" data-hash="sealed">{sealed}</code>
            <span class="explain">{t(lang, 'fpSealedHelp')}</span>
          </dd>
        </>
      ) : null}
      {original ? (
        <>
          <dt>{t(lang, 'fpOriginal')}</dt>
          <dd>
            <code class="hash" data-hash="original">{original}</code>
            <span class="explain">{t(lang, 'fpOriginalHelp')}</span>
          </dd>
        </>
      ) : null}
    </dl>
  </section>
);

/** The result's own address: re-shows this result for a known sealed document, no upload needed. */
const ShareLink: FC<{ lang: Lang; url: string }> = ({ lang, url }) => (
  <section class="share" data-share aria-labelledby="share-title">
    <h2 id="share-title">{t(lang, 'shareTitle')}</h2>
    <p>
      <label for="share-url">{t(lang, 'shareHelp')}</label>
    </p>
    <input id="share-url" type="text" readonly value={url} />
    <p>
      <a href={url}>{t(lang, 'shareOpen')}</a>
    </p>
  </section>
);

/** A stored result from before codes: `only validation data (DSS, document timestamp)` → `dss,timestamp`. */
const laterAddsOf = (detail: string) => [detail.includes('DSS') ? 'dss' : '', detail.includes('document timestamp') ? 'timestamp' : ''].filter(Boolean).join(',');

const yesNo = (lang: Lang, v: boolean) => t(lang, v ? 'yes' : 'no');

/** A term of the technical table with its one-line explanation. */
const Term: FC<{ lang: Lang; k: VerifyTextKey; help?: VerifyTextKey }> = ({ lang, k, help }) => (
  <dt>
    {t(lang, k)}
    {help ? <span class="explain">{t(lang, help)}</span> : null}
  </dt>
);

const VerdictView: FC<{ lang: Lang; result: PublicVerifyResult; audit?: SealedDocumentAudit | null; shareUrl?: string | null }> = ({ lang, result, audit, shareUrl }) => {
  const v = VERDICT_TEXTS[result.verdict];
  const own = result.signatures.some((s) => s.ours);
  // Our own development certificate chains to a development root: never called "trusted".
  const development = Boolean(result.document?.development);
  const untrusted = result.verdict === 'valid_other_signer' && result.signatures.some((s) => !s.trusted);
  return (
    <>
      <section class={`verdict ${v.tone}`} data-verdict={result.verdict}>
        <h2>{v.title[lang]}</h2>
        <p>{v.body[lang]}</p>
        {untrusted ? <p>{t(lang, 'untrusted')}</p> : null}
        {result.verdict === 'sealed_unchanged' && !result.document && own ? <p>{t(lang, 'noRecord')}</p> : null}
        {result.file.encrypted ? <p>{t(lang, 'encrypted')}</p> : null}
        {result.padesLevel && (result.verdict === 'sealed_unchanged' || result.verdict === 'valid_other_signer') ? (
          <p class="level" data-level={result.padesLevel}>
            {t(lang, 'level')}: <strong>{result.padesLevel}</strong> — {t(lang, `level_${result.padesLevel}`)}
          </p>
        ) : null}
      </section>
      {development ? <DevelopmentWarning lang={lang} /> : null}
      {result.document ? <DocumentView lang={lang} doc={result.document} audit={audit} /> : null}
      <Fingerprints lang={lang} file={result.file.sha256} original={audit?.originalSha256 ?? null} />
      {shareUrl ? <ShareLink lang={lang} url={shareUrl} /> : null}
      <details>
        <summary>{t(lang, 'technical')}</summary>
        {result.signatures.map((s) => (
          <section data-signature={s.index + 1}>
            <h3>{format(t(lang, 'signature'), { n: s.index + 1 })}</h3>
            <dl>
              <Term lang={lang} k="format" help="formatHelp" />
              <dd>{s.subFilter ?? '—'}</dd>
              <Term lang={lang} k="intact" help="intactHelp" />
              <dd>{yesNo(lang, s.intact)}</dd>
              <Term lang={lang} k="coversAll" />
              <dd>{yesNo(lang, s.coversWholeFile)}</dd>
              {s.bytesAfter > 0 ? (
                <>
                  <dt>{t(lang, 'bytesAfter')}</dt>
                  <dd>{s.bytesAfter}</dd>
                </>
              ) : null}
              {development && s.ours ? (
                <>
                  <Term lang={lang} k="certificate" />
                  <dd data-development-certificate>{t(lang, 'developmentCertificate')}</dd>
                </>
              ) : (
                <>
                  <Term lang={lang} k="trusted" help="trustedHelp" />
                  <dd>{yesNo(lang, s.trusted)}</dd>
                </>
              )}
              <dt>{t(lang, 'signer')}</dt>
              <dd>{s.signer?.subject ?? '—'}</dd>
              <dt>{t(lang, 'issuer')}</dt>
              <dd>{s.signer?.issuer ?? '—'}</dd>
              <Term lang={lang} k="claimedTime" help="claimedTimeHelp" />
              <dd>{when(s.claimedSigningTime, lang)}</dd>
              <Term lang={lang} k="timestamp" help="timestampHelp" />
              <dd>
                {s.timestamp
                  ? `${when(s.timestamp.time, lang)}${s.timestamp.authority ? ` — ${s.timestamp.authority}` : ''} (${t(lang, s.timestamp.verified ? 'tsVerified' : 'tsNotVerified')})`
                  : t(lang, 'noTimestamp')}
              </dd>
              <Term lang={lang} k="level" help="levelHelp" />
              <dd>{s.padesBaseline ? `${s.padesBaseline} — ${t(lang, `level_${s.padesBaseline}`)}` : '—'}</dd>
              {s.longTermProblem ? (
                <>
                  <dt>{t(lang, 'notLongTerm')}</dt>
                  <dd data-code={s.codes?.longTermProblem?.code ?? 'other'}>{verifyMessage(lang, 'longTerm', s.codes?.longTermProblem ?? { code: 'other' })}</dd>
                </>
              ) : null}
              {s.problem ? (
                <>
                  <dt>{t(lang, 'problem')}</dt>
                  <dd data-code={(s.codes?.problem ?? codeProblem(s.problem)).code}>{verifyMessage(lang, 'problem', s.codes?.problem ?? codeProblem(s.problem))}</dd>
                </>
              ) : null}
              {s.coverageAnomaly ? (
                <>
                  <dt>{t(lang, 'anomaly')}</dt>
                  <dd data-code={(s.codes?.coverageAnomaly ?? codeAnomaly(s.coverageAnomaly)).code}>
                    {verifyMessage(lang, 'anomaly', s.codes?.coverageAnomaly ?? codeAnomaly(s.coverageAnomaly))} {verifyMessage(lang, 'anomaly', { code: 'meaning' })}
                  </dd>
                </>
              ) : null}
              {s.unsupported ? (
                <>
                  <dt>{t(lang, 'unsupported')}</dt>
                  <dd>{s.unsupported}</dd>
                </>
              ) : null}
              {s.laterUpdates ? (
                <>
                  <dt>{t(lang, 'laterUpdates')}</dt>
                  <dd data-code={(s.codes?.laterUpdates ?? { code: s.laterUpdates.validationOnly ? 'validation_only' : 'other_changes' }).code}>
                    {verifyMessage(lang, 'later', s.codes?.laterUpdates ?? (s.laterUpdates.validationOnly ? { code: 'validation_only', params: { adds: laterAddsOf(s.laterUpdates.detail) } } : { code: 'other_changes' }))}
                  </dd>
                </>
              ) : null}
            </dl>
          </section>
        ))}
      </details>
    </>
  );
};

/** The verdict and technical table as HTML (no page shell): for tests of what a result says in each language. */
export const renderVerdictHtml = async (lang: Lang, result: PublicVerifyResult): Promise<string> => String(await (<VerdictView lang={lang} result={result} />).toString());
