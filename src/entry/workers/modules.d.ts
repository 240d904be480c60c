/** wrangler.toml `[[rules]] type = "Data"`: a .ttf imported by the Workers entry is its bytes. */
declare module '*.ttf' {
  const bytes: ArrayBuffer;
  export default bytes;
}
