import { request } from 'node:http';

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
