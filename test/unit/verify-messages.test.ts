import { describe, expect, it } from 'vitest';
import { codeAnomaly, codeProblem, laterUpdatesCode, noRevocationData } from '../../src/documents/verify/message-codes.js';
import { publicVerifyResult } from '../../src/documents/verify/projection.js';
import { VERIFY_MESSAGE_TEXTS, verifyMessage } from '../../src/documents/verify/texts.js';
import type { SignatureReport, VerifyResult } from '../../src/documents/verify/verifier.js';
import { renderVerdictHtml } from '../../src/doors/verify.js';

const LANGS = ['en', 'it', 'ru'] as const;
const keys = Object.keys(VERIFY_MESSAGE_TEXTS);

/** The texts of the technical table's coded messages (the `dd data-code` cells). */
const codedCells = (html: string) => [...html.matchAll(/<dd data-code="[^"]*">([\s\S]*?)<\/dd>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '').trim());
/** Three Latin words in a row: an English sentence (Italian is tested against its own table instead). */
const englishRun = /[A-Za-z]{2,}[ ,:]+[a-z]{2,}[ ,:]+[a-z]{2,}/;

function resultWith(report: Partial<SignatureReport>): VerifyResult {
  const signature: SignatureReport = {
    index: 0, kind: 'signature', subFilter: 'ETSI.CAdES.detached', byteRange: [0, 10, 20, 10], coversWholeFile: true, bytesAfter: 0,
    digestAlgorithm: 'SHA-256', intact: true, trusted: true, ours: false, signer: null, claimedSigningTime: null, timestamp: null, padesBaseline: 'B-T', ...report,
  };
  return { verdict: 'valid_other_signer', sha256: 'ab'.repeat(32), size: 30, encrypted: false, record: null, signatures: [signature], padesLevel: 'B-T', notes: [] };
}

describe('verifier messages by code (issue 18 item 9)', () => {
  it('every verifier message the scan, CMS check and verifier produce has a code with en/it/ru texts', () => {
    const problems = [
      'unreadable signature', 'not checked: the file holds too many large signatures', 'ByteRange is not a short array', 'ByteRange is not pairs of non-negative integers',
      'ByteRange points outside the file or overlaps itself', 'the /Contents string is implausibly large', 'the document bytes do not match the signed digest: the file was changed after signing',
      'the signed attributes lack content-type or message-digest', 'the signing certificate is not in the signature', 'the signature is not well-formed CMS', 'the signature is not CMS SignedData',
      'the signature is not valid DER', 'the signature carries an implausible number of certificates', 'the signature is empty (its placeholder was never filled)',
      'the signature must have exactly one signer', 'the signature value does not verify (EdDSA)', 'the signature value does not verify (some library text)', 'not checkable here: ECDSA on curve X',
    ];
    for (const p of problems) {
      const c = codeProblem(p);
      expect(c.code, p).not.toBe('other');
      expect(keys, p).toContain(`problem_${c.code}`);
    }
    const anomalies = [
      'the ByteRange is not exactly two ranges', 'the ByteRange does not start at the beginning of the file', 'the signed ranges do not end at the end of a revision (%%EOF)',
      'the ranges overlap', 'the unsigned gap is not the /Contents hex string', 'the /Contents hex string has an odd or zero length',
      'the unsigned gap holds more than the /Contents hex string', 'the unsigned gap is not preceded by /Contents', '/Contents and /ByteRange belong to different objects',
    ];
    for (const a of anomalies) {
      const c = codeAnomaly(a);
      expect(c.code, a).not.toBe('other');
      expect(keys, a).toContain(`anomaly_${c.code}`);
    }
    expect(codeProblem('the ByteRange is not exactly two ranges, and its /Contents cannot be read')).toEqual({ code: 'anomaly_contents_unreadable', params: { anomaly: 'ranges_not_two' } });
    expect(codeProblem('something new')).toEqual({ code: 'other' });
    for (const k of keys) for (const l of LANGS) expect((VERIFY_MESSAGE_TEXTS as Record<string, Record<string, string>>)[k]![l], `${k}.${l}`).toBeTruthy();
  });

  it('parameters are filled in, a nested anomaly is said in the same language, an unknown code is the generic reason', () => {
    expect(verifyMessage('ru', 'longTerm', noRevocationData(['CN=A', 'CN=B']))).toBe('В данных проверки файла (DSS) нет сведений об отзыве для: CN=A; CN=B.');
    expect(verifyMessage('it', 'problem', { code: 'anomaly_contents_unreadable', params: { anomaly: 'ranges_overlap' } })).toBe('Gli intervalli di byte firmati si sovrappongono. Inoltre, i dati della firma (/Contents) non sono leggibili.');
    expect(verifyMessage('ru', 'problem', { code: 'no_such_code' })).toBe(VERIFY_MESSAGE_TEXTS.problem_other.ru);
  });

  it('a /v result with a long-term problem, a broken signature and a coverage anomaly: no English sentence in ru or it; the JSON keeps English and codes', async () => {
    const longTerm = resultWith({ longTermProblem: 'the DSS has no revocation data for CN=Seal CA; CN=Time Stamping Unit', codes: { longTermProblem: noRevocationData(['CN=Seal CA', 'CN=Time Stamping Unit']) } });
    const broken = resultWith({ intact: false, problem: 'the signature value does not verify (RSA: bad padding)', codes: { problem: codeProblem('the signature value does not verify (RSA: bad padding)') } });
    // A stored result from before codes existed: the page codes the English text itself.
    const anomaly = resultWith({ coverageAnomaly: 'the signed ranges do not end at the end of a revision (%%EOF)' });
    for (const r of [longTerm, broken, anomaly]) {
      const json = publicVerifyResult(r);
      const en = codedCells(await renderVerdictHtml('en', json));
      expect(en.length).toBe(1);
      for (const lang of ['ru', 'it'] as const) {
        const html = await renderVerdictHtml(lang, json);
        const cells = codedCells(html);
        expect(cells).toHaveLength(1);
        expect(cells[0]).not.toBe(en[0]);
        for (const english of [r.signatures[0]!.longTermProblem, r.signatures[0]!.problem, r.signatures[0]!.coverageAnomaly]) if (english) expect(html).not.toContain(english);
        if (lang === 'ru') expect(cells[0]!.replace(/CN=[^;.]+/g, '')).not.toMatch(englishRun);
      }
    }
    // What was added after a signature: only validation data, named in the page's language; anything else generically.
    const later = resultWith({ coversWholeFile: false, bytesAfter: 900, laterUpdates: { validationOnly: true, detail: 'only validation data (DSS, document timestamp)' }, codes: { laterUpdates: laterUpdatesCode({ validationOnly: true, adds: ['DSS', 'document timestamp'] }) } });
    expect(codedCells(await renderVerdictHtml('ru', publicVerifyResult(later)))).toEqual(['Только данные для проверки: сертификаты и сведения об отзыве (DSS), метка времени документа.']);
    const legacy = resultWith({ coversWholeFile: false, bytesAfter: 900, laterUpdates: { validationOnly: true, detail: 'only validation data (DSS)' } });
    expect(codedCells(await renderVerdictHtml('it', publicVerifyResult(legacy)))).toEqual(['Solo dati di convalida: certificati e dati di revoca (DSS).']);
    const changed = resultWith({ coversWholeFile: false, bytesAfter: 900, laterUpdates: { validationOnly: false, detail: 'object 12: its /Annots changed' }, codes: { laterUpdates: laterUpdatesCode({ validationOnly: false, why: 'object 12: its /Annots changed' }) } });
    const changedRu = await renderVerdictHtml('ru', publicVerifyResult(changed));
    expect(codedCells(changedRu)).toEqual(['Изменения, которые не сводятся к данным для проверки.']);
    expect(changedRu).not.toContain('its /Annots changed');
    const json = publicVerifyResult(longTerm);
    expect(json.signatures[0]).toMatchObject({ longTermProblem: 'the DSS has no revocation data for CN=Seal CA; CN=Time Stamping Unit', codes: { longTermProblem: { code: 'no_revocation_data', params: { certificates: 'CN=Seal CA; CN=Time Stamping Unit' } }, problem: null } });
    const ru = codedCells(await renderVerdictHtml('ru', json))[0]!;
    expect(ru).toBe('В данных проверки файла (DSS) нет сведений об отзыве для: CN=Seal CA; CN=Time Stamping Unit.');
  });
});
