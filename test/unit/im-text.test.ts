import { describe, expect, it } from 'vitest';
import { imPlainText, parseImText } from '../../src/emulator/im-text.js';
import { imOutText, renderIm } from '../../src/notify/texts.js';

describe('messenger text as Bitrix24 shows it (b24restdocs chats/messages/index.md)', () => {
  it('[URL=…]label[/URL] is a link named label; no code stays visible', () => {
    const body = renderIm('en', 'invitation', { recipientName: 'Anna', title: 'Supply 7', senderName: 'Rossi S.r.l.', link: 'https://sign.example/s/abc', portalLink: 'https://p.bitrix24.com/marketplace/view/app/?params%5Bsign%5D=env_1' });
    const segs = parseImText(body);
    expect(segs.filter((s) => s.kind === 'link')).toEqual([{ kind: 'link', href: 'https://p.bitrix24.com/marketplace/view/app/?params%5Bsign%5D=env_1', text: 'Review and sign' }]);
    const shown = segs.map((s) => (s.kind === 'break' ? '\n' : s.text)).join('');
    expect(shown).not.toMatch(/\[\/?URL/i);
    expect(shown).toContain('Rossi S.r.l. sent you “Supply 7”');
  });

  it('formatting codes, breaks, bare URLs and unsafe hrefs', () => {
    expect(parseImText('[B]bold[/B] a[BR]b#BR#c\nhttps://x.example/p [URL=javascript:alert(1)]no[/URL] [USER=5]Martha[/USER]')).toEqual([
      { kind: 'text', text: 'bold', bold: true },
      { kind: 'text', text: ' a' },
      { kind: 'break' },
      { kind: 'text', text: 'b' },
      { kind: 'break' },
      { kind: 'text', text: 'c' },
      { kind: 'break' },
      { kind: 'link', href: 'https://x.example/p', text: 'https://x.example/p' },
      { kind: 'text', text: ' ' },
      { kind: 'text', text: 'no' },
      { kind: 'text', text: ' ' },
      { kind: 'text', text: 'Martha' },
    ]);
  });

  it('MESSAGE_OUT (external channels) is plain text with the link written out', () => {
    const body = 'Sign “X”. [URL=https://p.example/a?b=1]Review and sign[/URL]';
    expect(imOutText(body)).toBe('Sign “X”. Review and sign: https://p.example/a?b=1');
    expect(imPlainText(body)).toBe(imOutText(body));
  });
});
