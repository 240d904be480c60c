import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { documentFonts, stampAndAppendCertificate } from '../../src/documents/stamp.js';
import { fitText, wrap } from '../../src/documents/stamp-text.js';
import { formatInZone, stampLang } from '../../src/documents/stamp-i18n.js';

describe('stamp helpers', () => {
  it('formats times in the party’s zone with its offset, falling back to UTC for unknown zones', () => {
    const at = new Date('2026-07-01T10:00:00Z');
    expect(formatInZone(at, 'Europe/Rome')).toBe('2026-07-01 12:00:00 GMT+02:00 (Europe/Rome)');
    expect(formatInZone(at, 'Asia/Kolkata')).toBe('2026-07-01 15:30:00 GMT+05:30 (Asia/Kolkata)');
    expect(formatInZone(at, 'Not/AZone')).toBe('2026-07-01 10:00:00 GMT+00:00 (UTC)');
  });

  it('picks a supported language', () => {
    expect(stampLang('ru-RU')).toBe('ru');
    expect(stampLang('it')).toBe('it');
    expect(stampLang('de')).toBe('en');
    expect(stampLang(undefined)).toBe('en');
  });

  it('wraps long words (hashes, user agents) and fits stripe lines with an ellipsis', async () => {
    const doc = await PDFDocument.create();
    const { sans } = await documentFonts(doc);
    const lines = wrap('x'.repeat(300), sans, 9, 200);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(sans.widthOfTextAtSize(l, 9)).toBeLessThanOrEqual(200);
    expect(lines.join('')).toBe('x'.repeat(300));
    const fitted = fitText('Проверка: https://example.com/v/' + 'A'.repeat(200), sans, 6.5, 150);
    expect(fitted.endsWith('…')).toBe(true);
    expect(sans.widthOfTextAtSize(fitted, 6.5)).toBeLessThanOrEqual(150);
  });

  it('appends as many certificate pages as the events need', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    const events = Array.from({ length: 120 }, (_, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, i)), type: `event ${i}`, actor: 'Anna', ip: '192.0.2.1' }));
    await stampAndAppendCertificate(doc, {
      publicId: 'B24S-AAAA-BBBB-CCCC',
      verifyUrl: 'https://sign.example.com/v/B24S-AAAA-BBBB-CCCC',
      lang: 'it',
      title: 'Contratto',
      parties: [{ name: 'Anna', role: 'signer', party: 'company', method: 'typed', signedAt: new Date(), timeZone: 'Europe/Rome', ip: '192.0.2.1' }],
      events,
      originalSha256: 'c'.repeat(64),
      auditHead: 'd'.repeat(64),
      development: false,
    });
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(4);
  });
});
