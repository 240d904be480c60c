/** Token-shaped random strings (Bitrix24 tokens are lower-case hex). */
export function hex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const DIGITS = '0123456789';
export function digits(n: number): string {
  const b = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => DIGITS[x % 10]).join('');
}
