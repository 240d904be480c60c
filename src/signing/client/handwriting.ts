/**
 * The handwriting face (Caveat, 250 KB) of the typed signature loads only when that signature is about
 * to be seen: its preview comes near the screen, or the signer chooses or edits the typed signature.
 * The page names the file in <meta name="b24-handwriting"> (a content-hashed URL in a production build).
 */
export function loadHandwritingWhenNeeded() {
  const url = document.querySelector<HTMLMetaElement>('meta[name="b24-handwriting"]')?.content;
  const preview = document.getElementById('sig-preview');
  if (!url || !preview) return;
  let observer: IntersectionObserver | undefined;
  let started = false;
  const load = () => {
    if (started) return;
    started = true;
    observer?.disconnect();
    const face = new FontFace('Caveat', `url(${url}) format("truetype")`, { display: 'swap' });
    document.fonts.add(face);
    face.load().catch(() => undefined); // the preview keeps its cursive fallback
  };
  if (typeof IntersectionObserver === 'function') {
    observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && load(), { rootMargin: '300px 0px' });
    observer.observe(preview);
  } else load();
  for (const id of ['tab-typed', 'sig-text']) {
    document.getElementById(id)?.addEventListener('focus', load);
    document.getElementById(id)?.addEventListener('click', load);
  }
}
