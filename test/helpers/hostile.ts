import { request } from 'node:http';
import { crc32, deflateSync } from 'node:zlib';

/**
 * Inputs an attacker would send, shared by the hardening tests and bench:verify-hostile.
 */

/** `%PDF-1.7` then the same signature-looking key `repeats` times (21 bytes each); never a valid PDF. */
export function hostileVerifyPdf(repeats: number): Uint8Array {
  return new Uint8Array(Buffer.from(`%PDF-1.7\n${'/ByteRange [0 1 2 3]\n'.repeat(repeats)}%%EOF\n`, 'latin1'));
}

/**
 * `total` bytes of valid JSON for the signing door (`POST /api/sign/<token>/sign`), one long string of
 * 'A's as the signature image, handed out 1 MB at a time for postLazily.
 */
export function signBodyPieces(total: number): (sent: number) => Uint8Array {
  const head = Buffer.from('{"acceptTerms":true,"values":{},"signature":{"method":"drawn","image":"', 'latin1');
  const tail = Buffer.from('"}}', 'latin1');
  const filler = Buffer.alloc(1024 * 1024, 'A');
  return (sent) => {
    if (sent === 0) return Buffer.concat([head, filler.subarray(head.length)]);
    const left = total - sent;
    return left > filler.length ? filler : Buffer.concat([filler.subarray(0, left - tail.length), tail]);
  };
}

/**
 * A real, valid grayscale PNG of `width`×`height` blank pixels: tiny on the wire (6000×6000 is about
 * 35 KB), huge once decoded. The raw rows are built once (36 MB for 6000×6000).
 */
export function blankPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale, deflate, no filter method, no interlace
  const rows = Buffer.alloc((width + 1) * height); // each row: filter byte 0, then zero pixels
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
  return new Uint8Array(png);
}

/** The header of a JPEG up to its start-of-frame (`sof`: 0xc0 baseline, 0xc2 progressive), after an APP0 and a comment. */
export function jpegHeader(width: number, height: number, sof = 0xc0): Uint8Array {
  const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const jfif = [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const comment = Array.from(Buffer.from('made for a test', 'latin1'));
  const frame = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return new Uint8Array([0xff, 0xd8, ...seg(0xe0, jfif), ...seg(0xfe, comment), ...seg(sof, frame), 0xff, 0xd9]);
}

export type Posted = { status: number; body: string; ms: number; sentBytes: number };
/**
 * POST with node:http (no client-side header timeout, unlike fetch): `total` bytes from `piece`,
 * written lazily, so the client never holds the body; writing stops once the server has answered.
 */
export function postLazily(port: number, path: string, opts: { piece: (sent: number) => Uint8Array; total: number; type: string; chunked?: boolean }): Promise<Posted> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    let sentBytes = 0;
    const headers: Record<string, string | number> = { 'content-type': opts.type };
    if (!opts.chunked) headers['content-length'] = opts.total;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0, sentBytes }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    const pump = () => {
      while (!answered && sentBytes < opts.total) {
        const piece = opts.piece(sentBytes);
        sentBytes += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}
