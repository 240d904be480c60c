// The full suite needs system tools; `npm test` brings them. A direct `npx vitest` on a machine
// without them stops here with one line instead of dozens of ENOENT failures.
import { missingTools, missingToolsLine } from './test-tools.mjs';

export default function checkTools() {
  const missing = missingTools();
  if (missing.length === 0) return;
  console.error(`\n${missingToolsLine(missing)} (or run npm test, which installs them)\n`);
  process.exit(1);
}
