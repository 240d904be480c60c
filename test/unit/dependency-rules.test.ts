import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The dependency rule of issue 19 (.dependency-cruiser.cjs, also `npm run lint:deps`): domain folders
// import neither the edge (doors, http, entry, placements, app), hono, Node-only packages nor node:*
// built-ins. No exception list: this test fails on any violation and prints them.
const ROOT = join(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

function cruise(cwd: string, paths: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--config', CONFIG, '--output-type', 'err', ...paths], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('dependency rule', () => {
  it('the domain folders hold to it', () => {
    const { status, out } = cruise(ROOT, ['src', 'placements']);
    expect(out.split('\n').filter((l) => l.includes('error ')).join('\n')).toBe('');
    expect(status).toBe(0);
  }, 120_000);

  it('bites: a domain file importing node:fs, hono and src/http is refused on each', () => {
    const { status, out } = cruise(join(ROOT, 'test/fixtures/dependency-rules'), ['src']);
    expect(status).not.toBe(0);
    expect(out).toMatch(/domain-not-to-node-builtins: src\/lib\/leaky\.ts → (node:)?fs/);
    expect(out).toMatch(/domain-not-to-hono: src\/lib\/leaky\.ts → /);
    expect(out).toMatch(/domain-not-to-edge: src\/lib\/leaky\.ts → src\/http\/edge\.ts/);
  }, 120_000);
});
