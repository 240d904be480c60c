// vitest setupFiles: what the Node entry installs before anything renders (src/entry/node.ts). Tests
// that render a PDF without building Services still find the fonts port.
import { installNodeFonts } from '../../src/entry/fonts.js';

installNodeFonts();
