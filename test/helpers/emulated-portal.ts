/**
 * Stores an emulated portal (from `emu.control.createPortal({ app })`) the way the install flow stores it,
 * so tests and benches can use the REST client against the emulator without running the install.
 * No vitest or msw imports: bench/ uses it too.
 */
import type { Database } from '../../src/db/client.js';
import { portals } from '../../src/db/schema/index.js';
import type { PortalInfo } from '../../src/emulator/index.js';
import { storedTokenColumns } from './portal-tokens.js';

export async function storeEmulatedPortal(
  db: Database,
  info: PortalInfo,
  over: Partial<typeof portals.$inferInsert> = {},
): Promise<string> {
  const app = info.app;
  if (!app) throw new Error('storeEmulatedPortal: the portal was created without an app');
  const id = over.id ?? `prt_${info.memberId.slice(0, 12)}`;
  await db.insert(portals).values({
    id,
    memberId: info.memberId,
    domain: info.domain,
    clientEndpoint: info.clientEndpoint,
    serverEndpoint: info.serverEndpoint,
    // Sealed with the test key, as the install flow stores them (TEST_ENV's TOKEN_ENCRYPTION_KEYS).
    ...(await storedTokenColumns(id, { applicationToken: app.applicationToken, accessToken: app.accessToken, refreshToken: app.refreshToken })),
    expiresAt: new Date(app.tokens.expires * 1000),
    ...over,
  });
  return id;
}
