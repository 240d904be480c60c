// Upstream fontkit ships no types; we only call create() through a narrow adapter (src/documents/fonts.ts).
declare module 'fontkit';
