import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandboxMailbox } from '../../src/sandbox/mailbox.js';

describe('sandbox mailbox', () => {
  it('keeps what was sent by message row id, across a restart (DATA_DIR file)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'b24-mailbox-')), 'sandbox-mail.json');
    const box = createSandboxMailbox(file);
    await box.send({ to: 'a@b.example', subject: 'Code 123456', text: 'Your code is 123456.', html: '<p>123456</p>', messageId: '<msg_1@b24sign.test>' });
    expect(box.get('msg_1')).toEqual({ subject: 'Code 123456', text: 'Your code is 123456.', html: '<p>123456</p>' });
    expect(box.get('msg_2')).toBeUndefined();
    expect(createSandboxMailbox(file).get('msg_1')?.text).toBe('Your code is 123456.');
  });

  it('refuses a mail it cannot file under a row, and starts empty from a damaged file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'b24-mailbox-')), 'sandbox-mail.json');
    await expect(createSandboxMailbox(file).send({ to: 'a@b.example', subject: 's', text: 't' })).rejects.toThrow(/message row id/);
    writeFileSync(file, '{not json');
    expect(createSandboxMailbox(file).get('msg_1')).toBeUndefined();
  });
});
