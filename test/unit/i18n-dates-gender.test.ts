import { describe, expect, it } from 'vitest';
import { browserDateFormatter, formatDate, formatDateTime } from '../../src/i18n/dates.js';
import { genderOf, personForm } from '../../src/i18n/gender.js';
import { timelinePersonText } from '../../src/timeline/texts.js';
import { planEnvelope } from '../../src/timeline/plan.js';
import type { Recipient } from '../../src/db/schema/recipients.js';

const D = new Date('2026-12-02T10:15:00Z');

describe('one date format per language', () => {
  it('day, month name, year; with the time when asked', () => {
    expect(formatDate('en', D)).toBe('2 December 2026');
    expect(formatDate('it', D)).toBe('2 dicembre 2026');
    expect(formatDate('ru', D)).toBe('2 декабря 2026 г.');
    expect(formatDateTime('en', D)).toMatch(/^2 December 2026(,| at) 10:15 UTC$/);
    expect(formatDateTime('ru', D)).toMatch(/^2 декабря 2026 г\.(,| в) 10:15 UTC$/);
    expect(formatDateTime('it', D, 'Europe/Rome')).toMatch(/^2 dicembre 2026( alle ore|,) 11:15$/);
    // Near midnight the day follows the zone asked for.
    expect(formatDate('en', new Date('2026-12-02T23:30:00Z'), 'Europe/Moscow')).toBe('3 December 2026');
  });

  it('the browser formatter uses the same locale and options', () => {
    const f = new Function(`return ${browserDateFormatter('ru')}`)() as (v: unknown, t?: boolean) => string;
    expect(f(D.toISOString())).toBe(D.toLocaleString('ru-RU', { dateStyle: 'long' }));
    expect(f(D.toISOString(), true)).toBe(D.toLocaleString('ru-RU', { dateStyle: 'long', timeStyle: 'short' }));
    expect(f('')).toBe('');
    expect(f('not a date')).toBe('');
  });
});

describe('Russian forms follow the person', () => {
  it('PERSONAL_GENDER: M and F are known, anything else is not', () => {
    expect(genderOf('M')).toBe('M');
    expect(genderOf('f')).toBe('F');
    for (const v of ['', ' ', 'X', null, undefined, 1]) expect(genderOf(v)).toBeUndefined();
  });

  it('masculine, feminine, neutral; other languages unchanged', () => {
    const text = { en: '{name} signed', it: '{name} ha firmato', ru: { m: '{name} подписал', f: '{name} подписала', neutral: 'Подписано: {name}' } };
    expect(personForm(text, 'ru', 'M')).toBe('{name} подписал');
    expect(personForm(text, 'ru', 'F')).toBe('{name} подписала');
    expect(personForm(text, 'ru', undefined)).toBe('Подписано: {name}');
    expect(personForm(text, 'en', 'F')).toBe('{name} signed');
    expect(personForm(text, 'it', 'M')).toBe('{name} ha firmato');
  });

  it('the timeline lines: agreed for employees, neutral for others, never "(а)"', () => {
    const v = { name: 'Анна Титова', title: 'Договор 7' };
    expect(timelinePersonText('log.signed', 'ru', 'F', v)).toBe('Анна Титова подписала «Договор 7»');
    expect(timelinePersonText('log.signed', 'ru', 'M', { ...v, name: 'Иван Петров' })).toBe('Иван Петров подписал «Договор 7»');
    expect(timelinePersonText('log.opened', 'ru', 'F', v)).toBe('Анна Титова открыла «Договор 7»');
    expect(timelinePersonText('log.declined', 'ru', 'M', { ...v, reason: 'цена' })).toBe('Анна Титова отклонил «Договор 7»: цена');
    const neutral = ['log.opened', 'log.signed', 'log.approved', 'log.declined'].map((k) => timelinePersonText(k as 'log.signed', 'ru', undefined, { ...v, reason: 'цена' }));
    expect(neutral).toEqual(['Документ «Договор 7» открыт: Анна Титова', 'Документ «Договор 7» подписан: Анна Титова', 'Документ «Договор 7» согласован: Анна Титова', 'Документ «Договор 7» отклонён: Анна Титова. Причина: цена']);
    for (const s of neutral) expect(s).not.toContain('(а)');
    expect(timelinePersonText('log.signed', 'en', 'F', v)).toBe('Анна Титова signed "Договор 7"');
  });
});

describe('the CRM timeline in Russian', () => {
  it('an employee with PERSONAL_GENDER F "подписала", a contact gets the neutral line', () => {
    const rcp = (over: Partial<Recipient>): Recipient =>
      ({ id: 'rcp_a', envelopeId: 'env_1', portalId: 'prt_1', role: 'signer', party: 'company', signOrder: 1, name: 'Анна Титова', email: 'a@x.example', status: 'signed', gender: null, declineReason: null, ...over }) as Recipient;
    const plan = planEnvelope({
      env: { id: 'env_1', portalId: 'prt_1', title: 'Договор 7', status: 'in_progress', publicId: 'B24S-AAAA-BBBB-CCCC', endReason: null, lang: 'ru', crmEntityTypeId: 2, crmEntityId: 7, sealedSha256: null, createdByUserId: 1 },
      recipients: [rcp({ b24UserId: 5, gender: 'F' }), rcp({ id: 'rcp_b', party: 'client', signOrder: 2, name: 'Иван Петров' })],
      events: [
        { seq: 4, type: 'signed', recipientId: 'rcp_a', data: {} },
        { seq: 5, type: 'opened', recipientId: 'rcp_b', data: {} },
      ],
      state: { activityId: 11, layoutHash: null },
      written: new Set(['activity']),
      links: { openPath: '/marketplace/view/app/', verifyUrl: 'https://sign.example/v/B24S-AAAA-BBBB-CCCC' },
    });
    const texts = plan.writes.filter((w) => w.method === 'crm.timeline.logmessage.add').map((w) => (w.params.fields as { text: string }).text);
    expect(texts).toEqual(['Анна Титова подписала «Договор 7»', 'Документ «Договор 7» открыт: Иван Петров']);
  });
});
