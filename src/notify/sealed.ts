/**
 * A message whose stored copy is masked (a one-time code) still has to reach the runner that sends
 * it: the real text rides in the job's payload sealed with AES-GCM under a key derived from
 * SESSION_SECRET, so the jobs table never holds a code in clear. WebCrypto, so any runtime works.
 */
const enc = new TextEncoder();

async function keyFor(secret: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest('SHA-256', enc.encode(`b24sign:notify-payload:${secret}`));
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

export async function sealText(secret: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyFor(secret), enc.encode(text)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return Buffer.from(out).toString('base64');
}

/** Throws when the secret changed since sealing (the message then fails for good). */
export async function openText(secret: string, sealed: string): Promise<string> {
  const bytes = Buffer.from(sealed, 'base64');
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, await keyFor(secret), bytes.subarray(12));
  return new TextDecoder().decode(plain);
}
