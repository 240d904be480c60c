// vitest setupFiles: what the Node entry installs before anything renders or hashes (src/entry/node.ts).
// Tests that render a PDF or verify one without building Services get the same platform adapters.
import { installNodeFonts } from '../../src/entry/fonts.js';
import { installNodeHasher } from '../../src/entry/native-hash.js';

installNodeFonts();
installNodeHasher();
