/** @jsxImportSource hono/jsx */
import type { Lang } from '../../i18n/index.js';
import type { SandboxT } from '../texts.js';
import { Layout } from './layout.js';
import { PlacementFrame, type FramePost } from './frame.js';

/** The app opened on its own (left menu, or a REST_APP_URI deep link from the timeline). */
export function AppFramePage(props: { lang: Lang; t: SandboxT; title: string; post: FramePost; back: string }) {
  return (
    <Layout lang={props.lang} t={props.t} title={props.title} back={props.back}>
      <h1>{props.title}</h1>
      <PlacementFrame post={props.post} title={props.title} />
      <p class="small muted">{props.t('deal.framed')}</p>
    </Layout>
  );
}

export function StartErrorPage(props: { lang: Lang; t: SandboxT; error: string; back: string }) {
  return (
    <Layout lang={props.lang} t={props.t} title={props.t('error.start')} back={props.back}>
      <div class="card" role="alert">
        <h1>{props.t('error.start')}</h1>
        <p>{props.t('error.hint')}</p>
        <pre style="white-space:pre-wrap">{props.error}</pre>
      </div>
    </Layout>
  );
}
