import type { Context } from 'hono';
import type { z } from 'zod';
import type { FormObject, FormValue } from '../bitrix24/payloads.js';
import { AppError } from './errors.js';

/**
 * The one parser for what Bitrix24 POSTs to us: `application/x-www-form-urlencoded` bodies built by
 * PHP's http_build_query, with bracket keys (`auth[access_token]`, `document_id[0]`,
 * `properties[x][0]`). Hono's parseBody does not nest brackets, so we parse the raw text ourselves,
 * with hard limits, and hand the tree to a zod schema. Every scalar stays a string, as in PHP.
 */
export type { FormObject, FormValue };

export interface FormLimits {
  /** Bytes of body text. Robot properties may carry long texts; 512 KiB is far above any real payload. */
  maxBytes: number;
  /** Number of `key=value` pairs. PHP's max_input_vars default is 1000. */
  maxPairs: number;
  /** Bracket segments after the base name: `properties[x][0]` has depth 2. */
  maxDepth: number;
  /** Characters in one key (with brackets). */
  maxKeyLength: number;
}

export const DEFAULT_FORM_LIMITS: FormLimits = { maxBytes: 512 * 1024, maxPairs: 1000, maxDepth: 5, maxKeyLength: 256 };

/** Names that would reach Object.prototype through a plain object; refused outright. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

function decode(part: string): string {
  if (!part.includes('%') && !part.includes('+')) return part; // most keys: nothing to decode, nothing to copy
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new AppError('BAD_REQUEST', 'The form body contains a malformed percent-escape.', { reason: 'bad_escape' });
  }
}

/**
 * `a[b][]` → ['a', 'b', '']. PHP rules: the base name ends at the first `[`; each `[...]` is one
 * segment; text after the last `]` is ignored; a `[` that never closes makes the whole key literal.
 */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  let i = open;
  while (i < key.length && key[i] === '[') {
    const close = key.indexOf(']', i + 1);
    if (close < 0) {
      // Unclosed bracket: PHP keeps what it has parsed and drops the rest; a literal key is closer
      // to what a sender meant and never silently merges into another field.
      return segments.length === 1 ? [key] : segments;
    }
    segments.push(key.slice(i + 1, close));
    i = close + 1;
  }
  return segments;
}

const isIndex = (s: string) => /^(0|[1-9]\d{0,8})$/.test(s);

type Node = Map<string, Node | string>;

/**
 * Building the tree is linear in the pairs: `a[]=x` takes the next index from a counter kept per
 * container (never a scan of its keys), and arrays are recognised without sorting.
 */
class Tree {
  readonly root: Node = new Map();
  private readonly nextIndex = new WeakMap<Node, number>();

  private put(node: Node, seg: string, value: Node | string) {
    node.set(seg, value);
    if (isIndex(seg)) this.nextIndex.set(node, Math.max(this.nextIndex.get(node) ?? 0, Number(seg) + 1));
  }

  set(path: string[], value: string) {
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      // `a[]=x` appends: the next free integer index in this container.
      const seg = path[i] === '' ? String(this.nextIndex.get(node) ?? 0) : path[i]!;
      if (FORBIDDEN_SEGMENTS.has(seg)) throw new AppError('BAD_REQUEST', 'The form body uses a reserved key name.', { reason: 'reserved_key' });
      if (i === path.length - 1) {
        this.put(node, seg, value); // later pairs win, as in PHP
        return;
      }
      const next = node.get(seg);
      if (next instanceof Map) node = next;
      else {
        const child: Node = new Map();
        this.put(node, seg, child); // a scalar followed by `seg[...]` becomes a container, as in PHP
        node = child;
      }
    }
  }
}

/** Containers whose keys are exactly 0..n-1 become arrays; anything else stays an object (no sparse arrays). */
function toValue(node: Node | string): FormValue {
  if (typeof node === 'string') return node;
  const n = node.size;
  // Keys are distinct canonical indexes all below n, so they are exactly 0..n-1.
  let dense = n > 0;
  for (const k of node.keys()) {
    if (!isIndex(k) || Number(k) >= n) {
      dense = false;
      break;
    }
  }
  if (dense) return Array.from({ length: n }, (_, i) => toValue(node.get(String(i))!));
  const out: FormObject = {};
  for (const [k, v] of node) out[k] = toValue(v);
  return out;
}

/** Pure: parses form text into a tree. Throws AppError (400/413) on anything over the limits. */
export function parseBitrixForm(text: string, limits: FormLimits = DEFAULT_FORM_LIMITS): FormObject {
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: encode (a copy of the body) only when that cannot decide.
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && new TextEncoder().encode(text).length > limits.maxBytes)) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'The form body is too large.', { limit: limits.maxBytes });
  }
  // PostgreSQL text and jsonb hold no NUL character: refused here as bad input, not later as a 500.
  if (text.includes('%00') || text.includes('\0')) throw new AppError('BAD_REQUEST', 'The form body contains a NUL character.', { reason: 'nul_character' });
  const tree = new Tree();
  if (text === '') return {};
  let pairs = 0;
  // Pair by pair with indexOf rather than split('&'): no array of every pair is held at once.
  for (let from = 0; from <= text.length; ) {
    let end = text.indexOf('&', from);
    if (end < 0) end = text.length;
    const raw = text.slice(from, end);
    from = end + 1;
    if (raw === '') continue;
    if (++pairs > limits.maxPairs) throw new AppError('BAD_REQUEST', 'The form body has too many fields.', { reason: 'too_many_fields', limit: limits.maxPairs });
    const eq = raw.indexOf('=');
    const key = decode(eq < 0 ? raw : raw.slice(0, eq));
    const value = eq < 0 ? '' : decode(raw.slice(eq + 1));
    if (key === '') continue;
    if (key.length > limits.maxKeyLength) throw new AppError('BAD_REQUEST', 'A form field name is too long.', { reason: 'key_too_long' });
    const path = splitKey(key);
    if (path.length - 1 > limits.maxDepth) {
      throw new AppError('BAD_REQUEST', 'A form field is nested too deeply.', { reason: 'too_deep', limit: limits.maxDepth });
    }
    tree.set(path, value);
  }
  return toValue(tree.root) as FormObject;
}

/** Query-string fields (DOMAIN, PROTOCOL, LANG, APP_SID on frame POSTs), parsed by the same rules. */
export function parseQuery(url: string, limits: FormLimits = DEFAULT_FORM_LIMITS): FormObject {
  const q = url.indexOf('?');
  if (q < 0) return {};
  const hash = url.indexOf('#', q);
  return parseBitrixForm(url.slice(q + 1, hash < 0 ? undefined : hash), limits);
}

/**
 * Reads a Bitrix24 POST: checks the content type and size before buffering, then parses body and
 * query. A missing content type is accepted (some proxies drop it); a different one is refused.
 */
export async function readBitrixForm(c: Context, limits: FormLimits = DEFAULT_FORM_LIMITS): Promise<{ body: FormObject; query: FormObject }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== '' && type !== 'application/x-www-form-urlencoded') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Expected an application/x-www-form-urlencoded body.');
  }
  const length = c.req.header('content-length');
  const declared = Number(length ?? '0');
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', 'The form body is too large.', { limit: limits.maxBytes });
  }
  // A declared length within the cap (no chunked encoding) is all the HTTP parser will deliver: read
  // it in one piece, which Node's adapter does straight from the socket, with no web stream in between.
  const text = length !== undefined && c.req.header('transfer-encoding') === undefined ? utf8(await readWhole(c.req.raw, limits.maxBytes)) : await readTextCapped(c.req.raw, limits.maxBytes);
  return { body: parseBitrixForm(text, limits), query: parseQuery(c.req.url, limits) };
}

/** A body of declared length; measured again, for runtimes that would hand over more than declared. */
async function readWhole(req: Request, maxBytes: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', 'The form body is too large.', { limit: maxBytes });
  return bytes;
}

/** Streams the body and stops at the cap, so a lying or absent Content-Length cannot make us buffer gigabytes. */
async function readTextCapped(req: Request, maxBytes: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new AppError('PAYLOAD_TOO_LARGE', 'The form body is too large.', { limit: maxBytes });
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.byteLength;
  }
  return utf8(all);
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError('BAD_REQUEST', 'The form body is not valid UTF-8.', { reason: 'bad_encoding' });
  }
}

/**
 * Validates a parsed form against a schema; failures become 400 VALIDATION_FAILED listing the
 * offending field paths only (values may be tokens and never leave the server).
 */
export function parseForm<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const fields = [...new Set(r.error.issues.map((i) => i.path.map(String).join('.') || '(root)'))].slice(0, 20);
  throw new AppError('VALIDATION_FAILED', `The request is missing or has invalid fields: ${fields.join(', ')}.`, { fields });
}
