import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/db/schema/audit-events.js';
import { isAppError } from '../../src/http/errors.js';
import { auditHash, GENESIS_HASH, verifyChainRows } from '../../src/signing/audit.js';
import { canonicalJson, constantTimeEqual } from '../../src/signing/hashing.js';
import { generateOtp, hashOtp, otpMatches } from '../../src/signing/otp.js';
import { assertEnvelopeTransition, assertRecipientTransition, ENVELOPE_TRANSITIONS, RECIPIENT_TRANSITIONS } from '../../src/signing/states.js';

describe('state machines', () => {
  it('every move the tables do not list is a typed ILLEGAL_TRANSITION', () => {
    const envs = Object.keys(ENVELOPE_TRANSITIONS) as (keyof typeof ENVELOPE_TRANSITIONS)[];
    for (const from of envs)
      for (const to of envs) {
        const allowed = ENVELOPE_TRANSITIONS[from].includes(to);
        try {
          assertEnvelopeTransition(from, to);
          expect(allowed, `${from} → ${to}`).toBe(true);
        } catch (e) {
          expect(allowed, `${from} → ${to}`).toBe(false);
          expect(isAppError(e) && e.code === 'ILLEGAL_TRANSITION' && e.details).toEqual({ entity: 'envelope', from, to });
        }
      }
    const rs = Object.keys(RECIPIENT_TRANSITIONS) as (keyof typeof RECIPIENT_TRANSITIONS)[];
    for (const from of rs) for (const to of rs) expect(() => assertRecipientTransition(from, to)).toSatisfy((f: () => void) => {
      try {
        f();
        return RECIPIENT_TRANSITIONS[from].includes(to);
      } catch (e) {
        return !RECIPIENT_TRANSITIONS[from].includes(to) && isAppError(e) && e.code === 'ILLEGAL_TRANSITION';
      }
    });
  });

  it('final states have no way out', () => {
    for (const s of ['completed', 'declined', 'expired', 'voided'] as const) expect(ENVELOPE_TRANSITIONS[s]).toEqual([]);
    for (const s of ['signed', 'approved', 'declined', 'expired'] as const) expect(RECIPIENT_TRANSITIONS[s]).toEqual([]);
  });
});

describe('hashing and codes', () => {
  it('constantTimeEqual agrees with ===', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
    fc.assert(fc.property(fc.string(), (a) => constantTimeEqual(a, a)));
  });

  it('canonicalJson ignores key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        return canonicalJson(o) === canonicalJson(reversed);
      }),
    );
  });

  it('codes are 6 digits, spread over the whole range, and only the right one matches its hash', async () => {
    const codes = Array.from({ length: 2000 }, generateOtp);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes.map((c) => c[0])).size).toBe(10);
    const h = await hashOtp('secret', 'rcp_1', '123456');
    expect(await otpMatches('secret', 'rcp_1', '123456', h)).toBe(true);
    expect(await otpMatches('secret', 'rcp_1', ' 123 456 ', h)).toBe(true);
    expect(await otpMatches('secret', 'rcp_2', '123456', h)).toBe(false);
    expect(await otpMatches('secret', 'rcp_1', '123457', h)).toBe(false);
    expect(await otpMatches('other', 'rcp_1', '123456', h)).toBe(false);
  });
});

describe('audit chain verifier', () => {
  async function chain(n: number): Promise<AuditEvent[]> {
    const rows: AuditEvent[] = [];
    let prev = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const row = { id: i, portalId: 'p', envelopeId: 'env_1', seq: i, type: 'opened' as const, actor: 'system', recipientId: null, ip: `10.0.0.${i}`, userAgent: null, at: new Date(1_700_000_000_000 + i * 1000), data: { i }, prevHash: prev, hash: '' };
      row.hash = await auditHash(row);
      prev = row.hash;
      rows.push(row);
    }
    return rows;
  }

  it('accepts an intact chain and names its head', async () => {
    const rows = await chain(6);
    expect(await verifyChainRows(rows)).toEqual({ ok: true, count: 6, head: rows[5]!.hash });
  });

  it('finds the first edited, relinked or missing row', async () => {
    const edited = await chain(6);
    edited[3] = { ...edited[3]!, data: { i: 99 } };
    expect(await verifyChainRows(edited)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash_mismatch' });

    // Re-hashing the edited row does not help: the next row's link breaks.
    const rehashed = await chain(6);
    rehashed[2] = { ...rehashed[2]!, ip: '1.2.3.4' };
    rehashed[2]!.hash = await auditHash(rehashed[2]!);
    expect(await verifyChainRows(rehashed)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'broken_link' });

    const gap = await chain(6);
    gap.splice(1, 1);
    expect(await verifyChainRows(gap)).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'gap' });
  });
});
