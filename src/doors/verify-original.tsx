import type { FC } from 'hono/jsx';
import type { KnownOriginal } from '../documents/verify/known-original.js';
import type { Lang } from '../i18n/index.js';

/**
 * The verify page's note for a file that is the original of a document we sealed incrementally
 * (documents/verify/known-original.ts): the sealed file begins with exactly these bytes.
 */
const TEXTS: Record<Lang, { title: string; body: string; sealed: string }> = {
  en: {
    title: 'This is the original of a sealed document',
    body: 'The sealed file begins with exactly the bytes of this file: signatures, stamps, the certificate page and the seal were appended after them, nothing in it was changed.',
    sealed: 'sealed on',
  },
  it: {
    title: 'Questo è l’originale di un documento sigillato',
    body: 'Il file sigillato inizia esattamente con i byte di questo file: firme, timbri, la pagina del certificato e il sigillo sono stati aggiunti dopo, senza modificarne nulla.',
    sealed: 'sigillato il',
  },
  ru: {
    title: 'Это оригинал запечатанного документа',
    body: 'Запечатанный файл начинается ровно с байтов этого файла: подписи, штампы, страница сертификата и печать добавлены после них, ничего в нём не изменено.',
    sealed: 'запечатан',
  },
};

export const KnownOriginalView: FC<{ lang: Lang; originals: KnownOriginal[] }> = ({ lang, originals }) => {
  if (!originals.length) return null;
  const t = TEXTS[lang] ?? TEXTS.en;
  return (
    <section class="verdict good" data-known-original="true">
      <h2>{t.title}</h2>
      <p>{t.body}</p>
      <ul>
        {originals.map((o) => (
          <li>
            <a href={`/v/${encodeURIComponent(o.publicId)}`}>{o.title}</a> ({o.publicId}), {t.sealed} {o.sealedAt.toISOString().slice(0, 10)}
          </li>
        ))}
      </ul>
    </section>
  );
};
