/**
 * The browser half of FileControl (src/doors/file-control.tsx), beside the signing page's other browser
 * code (which the dependency rule keeps off src/doors), without JSX so a page bundle can take
 * it for a few hundred bytes.
 */
/** The chosen file's name next to each control (or the "none" text once cleared). */
export function wireFileControls(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-file-control]').forEach((w) => {
    const input = w.querySelector<HTMLInputElement>('input[type=file]');
    const name = w.querySelector<HTMLElement>('.file-name');
    if (!input || !name) return;
    const show = () => {
      name.textContent = input.files && input.files[0] ? input.files[0].name : (name.dataset.none ?? '');
    };
    input.addEventListener('change', show);
    // A script that clears the input (remove a stamp) tells the control so.
    input.addEventListener('file-control:reset', show);
  });
}
