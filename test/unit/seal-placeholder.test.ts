import { describe, expect, it } from 'vitest';
import { BYTE_RANGE_MARKER, sigDictionaryText } from '../../src/documents/seal/placeholder.js';
import { byteRangeFor, locatePlaceholder, writeByteRange, writeContents } from '../../src/documents/seal/splice.js';

/** Byte-range maths on a tiny synthetic file: what gets signed is everything but the hex gap. */
const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

function tinyPdf(hexLength = 16): Uint8Array {
  const dict = sigDictionaryText({ contentsHexLength: hexLength, signingTime: new Date('2026-01-15T10:00:00Z'), name: 'Seal', reason: 'Test' });
  return enc.encode(`%PDF-1.7\n1 0 obj\n${dict}\nendobj\ntrailer\n<<>>\n%%EOF\n`);
}

describe('seal placeholder and splice', () => {
  it('the dictionary is a PAdES /Sig with a fixed-width ByteRange marker and a zeroed hex /Contents', () => {
    const text = sigDictionaryText({ contentsHexLength: 8, signingTime: new Date('2026-01-15T10:00:00Z'), name: 'Σφραγίδα', reason: 'Печать' });
    expect(text).toContain('/SubFilter /ETSI.CAdES.detached');
    expect(text).toContain(BYTE_RANGE_MARKER);
    expect(text).toContain('/Contents <00000000>');
    expect(text).toContain('/M (D:20260115100000Z)');
    expect(text).toMatch(/\/Name <FEFF[0-9A-F]+>/); // non-Latin text as UTF-16BE
    expect(() => sigDictionaryText({ contentsHexLength: 7, signingTime: new Date(), name: '', reason: '' })).toThrow();
  });

  it('locates the gap and computes [0, start, end, rest]', () => {
    const pdf = tinyPdf(16);
    const loc = locatePlaceholder(pdf);
    expect(pdf[loc.contentsStart]).toBe(0x3c);
    expect(pdf[loc.contentsEnd - 1]).toBe(0x3e);
    expect(loc.contentsEnd - loc.contentsStart).toBe(18);
    expect(byteRangeFor(loc, pdf.length)).toEqual([0, loc.contentsStart, loc.contentsEnd, pdf.length - loc.contentsEnd]);
  });

  it('writes the ByteRange and the CMS in place without changing the length', () => {
    const pdf = tinyPdf(16);
    const length = pdf.length;
    const loc = locatePlaceholder(pdf);
    const range = byteRangeFor(loc, length);
    writeByteRange(pdf, loc, range);
    writeContents(pdf, loc, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(pdf.length).toBe(length);
    const text = dec.decode(pdf);
    expect(text).toContain(`/ByteRange [${range.join(' ')}]`);
    expect(text).toContain('/Contents <deadbeef00000000>');
    expect(text).not.toContain('B24SIGN_BYTE_RANGE');
  });

  it('refuses a CMS larger than its placeholder, and files with none or two placeholders', () => {
    const pdf = tinyPdf(4);
    const loc = locatePlaceholder(pdf);
    expect(() => writeContents(pdf, loc, new Uint8Array(3))).toThrow(/exceeds its placeholder/);
    expect(() => locatePlaceholder(enc.encode('%PDF-1.7\n%%EOF'))).toThrow(/No seal placeholder/);
    const two = new Uint8Array([...tinyPdf(), ...tinyPdf()]);
    expect(() => locatePlaceholder(two)).toThrow(/More than one/);
  });

  it('the marker leaves room for 11-digit offsets', () => {
    expect(`/ByteRange [0 99999999999 99999999999 99999999999]`.length).toBeLessThanOrEqual(BYTE_RANGE_MARKER.length);
  });
});
