/**
 * "New document" on one screen: source (template, uploaded PDF or CRM document) → fields filled from
 * the CRM → recipients proposed from the CRM → preview → send. Missing data is listed above the send
 * button with a way to fix each item, and sending stays disabled until the list is empty.
 */
import { userMessage } from './errors.js';
import type { Translate, PageBoot } from './boot.js';
import { clear, h, nextId, toast } from './dom.js';
import { toBase64, type EnvelopeFieldInput, type Endpoints, type PlacedField, type RecipientSlot, type TemplateSummary } from './endpoints.js';
import type { Frame } from './bx24.js';
import type { Person, PortalUser, Proposal, ProposalField, ProposedRecipient } from '../../src/card/proposal.js';
import type { CardKey } from '../../src/i18n/card.js';
import { companySignerName } from '../../src/documents/signer-binding.js';
import { checkDocumentData, type DataIssue } from '../../src/documents/data-checks.js';
import { formatValue } from '../../src/documents/format.js';
import { findOverlaps } from '../../src/documents/field-overlap.js';
import { reachedInPortal } from '../../src/signing/recipient-reach.js';

export interface ComposeDeps {
  boot: PageBoot;
  t: Translate;
  ep: Endpoints;
  frame: Frame;
  entity: { entityTypeId: number; entityId: number };
  /** Called after a successful send, to refresh the list and close the screen. */
  onDone(envelopeId: string): void;
  onCancel(): void;
}

export type ComposeStart =
  | { mode: 'template'; templateId?: string; slots?: RecipientSlot[]; sameAsLast?: boolean }
  | { mode: 'pdf' }
  | { mode: 'docgen'; documentId?: number };

const isEmail = (v: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v);

interface Row extends ProposedRecipient {
  id: string;
}

export async function openCompose(root: HTMLElement, deps: ComposeDeps, start: ComposeStart) {
  const { t, ep, entity } = deps;
  const state = {
    templates: [] as TemplateSummary[],
    template: null as TemplateSummary | null,
    proposal: null as Proposal | null,
    values: {} as Record<string, string>,
    rows: [] as Row[],
    /** Employees named by hand (Bitrix24's user picker) or by a remembered set-up, beside the card's people. */
    users: [] as PortalUser[],
    /** People added with Bitrix24's CRM picker (kept in proposal.people, listed apart from the card's). */
    picked: new Set<string>(),
    slots: start.mode === 'template' ? start.slots : undefined,
    pdfBytes: null as ArrayBuffer | null,
    docgenDocumentId: null as number | null,
    placed: [] as PlacedField[],
    title: '',
    /** The title follows the chosen template until the sender types one of their own. */
    titleAuto: true,
    sending: false,
    /** The sender ticked "these values are right" under the data warnings. */
    warningsConfirmed: false,
    warningsKey: '',
  };

  const headingId = nextId('h');
  const sourceStep = h('div', { class: 'step' });
  const fieldsStep = h('div', { class: 'step' });
  const recipientsStep = h('div', { class: 'step' });
  const previewStep = h('div', { class: 'step' });
  const problemsBox = h('div', { role: 'status', 'aria-live': 'polite' });
  const warningsBox = h('div', { role: 'status', 'aria-live': 'polite' });
  const titleId = nextId('title');
  const titleInput = h('input', { id: titleId, type: 'text', maxlength: 200, style: 'min-width:260px', oninput: () => Object.assign(state, { title: titleInput.value, titleAuto: !titleInput.value.trim() }) });
  const sendBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'send', onclick: () => void send() }, t('action.send'));
  const saveTplId = nextId('savetpl');
  const saveTpl = h('input', { type: 'checkbox', id: saveTplId });
  const saveTplName = h('input', { type: 'text', 'aria-label': t('new.templateName'), placeholder: t('new.templateName'), maxlength: 200 });
  const saveRow = h('div', { class: 'row', hidden: true }, saveTpl, h('label', { for: saveTplId }, t('new.saveTemplate')), saveTplName);

  const screen = h(
    'section',
    { class: 'panel steps', id: 'compose', 'aria-labelledby': headingId },
    h('div', { class: 'bar' },
      h('h1', { id: headingId, tabindex: -1 }, start.mode === 'template' && start.sameAsLast ? t('same.review') : start.mode === 'template' ? t('new.heading') : start.mode === 'pdf' ? t('own.heading') : t('docgen.heading')),
      h('button', { type: 'button', class: 'btn', onclick: () => deps.onCancel() }, t('action.cancel')),
    ),
    sourceStep,
    fieldsStep,
    recipientsStep,
    previewStep,
    problemsBox,
    warningsBox,
    saveRow,
    h('div', { class: 'row' }, h('label', { for: titleId, class: 'lbl' }, t('new.title')), titleInput, h('span', { class: 'spacer' }), sendBtn),
  );
  clear(root, screen);
  (screen.querySelector('h1') as HTMLElement).focus();

  const loading = () => h('p', { class: 'muted' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), ' ', t('new.loading'));
  const showError = (e: unknown, where: HTMLElement) => {
    clear(where, h('p', { class: 'err', role: 'alert' }, userMessage(t, e)));
  };

  // ——— step 1: the source ———

  async function showTemplates() {
    clear(sourceStep, h('h2', {}, t('new.template')), loading());
    try {
      const { templates } = await ep.templates(deps.boot.lang);
      state.templates = templates;
    } catch (e) {
      showError(e, sourceStep);
      sourceStep.prepend(h('h2', {}, t('new.template')));
      return;
    }
    const group = (title: string, list: TemplateSummary[]) =>
      list.length === 0
        ? null
        : h('fieldset', { style: 'border:0;padding:0;margin:0 0 10px' },
            h('legend', { class: 'lbl', style: 'margin-bottom:6px' }, title),
            h('div', { class: 'tpls' },
              list.map((tpl) => {
                const id = nextId('tpl');
                const input = h('input', { type: 'radio', name: 'template', id, value: tpl.id, checked: state.template?.id === tpl.id, onchange: () => void chooseTemplate(tpl) });
                return h('label', { class: 'tpl', for: id, 'data-template': tpl.id }, input,
                  h('span', {}, h('strong', {}, tpl.name), h('br'), h('span', { class: 'muted' }, kindName(tpl.kind))));
              }),
            ),
          );
    const portal = state.templates.filter((x) => x.origin === 'portal');
    const starter = state.templates.filter((x) => x.origin !== 'portal');
    clear(sourceStep, h('h2', {}, t('new.template')),
      state.templates.length === 0 ? h('p', { class: 'muted' }, t('new.noTemplates')) : null,
      group(t('new.templatesPortal'), portal),
      group(t('new.templatesStarter'), starter));
    const wanted = start.mode === 'template' ? start.templateId : undefined;
    const pre = state.templates.find((x) => x.id === wanted);
    if (pre) {
      (sourceStep.querySelector(`input[value="${CSS.escape(pre.id)}"]`) as HTMLInputElement | null)?.click();
    }
  }

  function kindName(kind: string) {
    const key = `kind.${kind}` as CardKey;
    const s = t(key);
    return s === key ? kind : s;
  }

  /**
   * A starter is used as it is (`starter:<layout>`): the server makes it the portal's template only
   * when a document is sent from it, so choosing one and cancelling leaves nothing behind.
   */
  async function chooseTemplate(picked: TemplateSummary) {
    state.template = picked;
    // The starters' names come in the sender's language; a title typed by hand is never replaced.
    if (state.titleAuto) {
      state.title = picked.title ?? picked.name;
      titleInput.value = state.title;
    }
    await loadProposal();
  }

  async function loadProposal() {
    clear(fieldsStep, h('h2', {}, t('new.fields')), loading());
    clear(recipientsStep, h('h2', {}, t('new.recipients')), loading());
    try {
      const proposal = await ep.proposal(entity, state.template?.id, state.slots);
      state.proposal = proposal;
      // A remembered set-up may name a fixed employee: list them so the row's choice shows.
      for (const r of proposal.recipients) {
        if (r.source === 'user' && r.b24UserId && !state.users.some((u) => u.id === r.b24UserId)) {
          state.users.push({ id: r.b24UserId, name: r.name, email: r.email || null, position: null });
        }
      }
      state.values = Object.fromEntries(proposal.fields.map((f) => [f.key, f.value]));
      state.rows = proposal.recipients.map((r) => ({ ...r, id: nextId('r') }));
      if (!state.title && proposal.itemTitle) titleInput.value = state.title = proposal.itemTitle;
    } catch (e) {
      showError(e, fieldsStep);
      clear(recipientsStep);
      return;
    }
    renderFields();
    renderRecipients();
    renderPreviewStep();
    check();
  }

  // ——— step 2: fields ———

  function renderFields() {
    const p = state.proposal!;
    if (state.template === null) {
      clear(fieldsStep);
      fieldsStep.hidden = true;
      return;
    }
    fieldsStep.hidden = false;
    const reload = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => void loadProposal() }, t('new.reload'));
    if (p.fields.length === 0) {
      clear(fieldsStep, h('h2', {}, t('new.fields')), h('p', { class: 'muted' }, t('new.noFields')));
      return;
    }
    clear(fieldsStep,
      h('h2', {}, t('new.fields')),
      h('p', { class: 'hint' }, t('new.fieldsHint'), ' ', reload),
      h('div', { class: 'grid' }, p.fields.map((f) => fieldInput(f))),
    );
  }

  function fieldInput(f: ProposalField) {
    const id = `fv-${f.key}`;
    const type = f.type === 'date' ? 'date' : f.type === 'number' ? 'number' : 'text';
    const input = h(f.type === 'multiline' ? 'textarea' : 'input', {
      id,
      ...(f.type === 'multiline' ? { rows: 3 } : { type }),
      value: state.values[f.key] ?? '',
      'data-field': f.key,
      required: f.required,
      'aria-invalid': f.required && !state.values[f.key] ? 'true' : null,
      oninput: (e: Event) => {
        state.values[f.key] = (e.target as HTMLInputElement).value;
        (e.target as HTMLElement).setAttribute('aria-invalid', f.required && !state.values[f.key] ? 'true' : 'false');
        if (shown) shown.textContent = printed();
        check();
      },
    }) as HTMLInputElement;
    if (f.type === 'multiline') (input as unknown as HTMLTextAreaElement).value = state.values[f.key] ?? '';
    // A price is typed as "301000.00 RUB"; below it, how the document prints it in this language.
    const printed = () => formatValue(f.type, state.values[f.key] ?? '', deps.boot.lang);
    const shown = f.type === 'money' ? h('span', { class: 'hint', 'data-display': f.key }, printed()) : null;
    return h('div', { class: 'field' }, h('label', { for: id }, f.label, f.required ? ' *' : ''), input, shown,
      f.missing ? h('span', { class: 'err' }, t('missing.field', { field: f.label })) : null);
  }

  // ——— step 3: recipients ———

  function personOptions(row: Row) {
    const people = state.proposal?.people ?? [];
    const option = (p: Person) => h('option', { value: p.key, selected: row.personKey === p.key }, personLabel(p));
    const picked = people.filter((p) => state.picked.has(p.key));
    const opts = [
      h('optgroup', { label: t('new.fromCard') }, people.filter((p) => !state.picked.has(p.key)).map(option)),
      picked.length ? h('optgroup', { label: t('new.fromCrm') }, picked.map(option)) : null,
      state.users.length
        ? h('optgroup', { label: t('new.employees') },
            state.users.filter((u) => !people.some((p) => p.key === `user:${u.id}`)).map((u) =>
              h('option', { value: `user:${u.id}`, selected: row.personKey === `user:${u.id}` }, u.name + (u.position ? ` — ${u.position}` : ''))))
        : null,
      h('option', { value: '', selected: row.personKey === null }, t('new.other')),
    ];
    return opts;
  }

  function personLabel(p: Person) {
    const tag = p.kind === 'responsible' ? ` (${t('new.responsible')})` : p.kind === 'company' ? ` (${t('party.client')})` : '';
    return `${p.name}${tag}`;
  }

  function renderRecipients() {
    const rows = state.rows.map((row, i) => recipientRow(row, i));
    clear(recipientsStep,
      h('h2', {}, t('new.recipients')),
      h('p', { class: 'hint' }, t('new.recipientsHint')),
      rows,
      h('button', {
        type: 'button', class: 'btn btn-sm', 'data-action': 'add-recipient',
        onclick: () => {
          const maxOrder = Math.max(0, ...state.rows.map((r) => r.order));
          state.rows.push({ id: nextId('r'), role: 'signer', party: 'client', order: maxOrder + 1, source: 'manual', personKey: null, name: '', email: '' });
          renderRecipients();
          check();
          (recipientsStep.querySelector('.rrow:last-of-type input[data-k="name"]') as HTMLInputElement | null)?.focus();
        },
      }, '+ ', t('action.addRecipient')),
    );
  }

  function recipientRow(row: Row, i: number) {
    const ids = { order: nextId('o'), role: nextId('ro'), person: nextId('p'), name: nextId('n'), email: nextId('e'), party: nextId('pa') };
    const label = (id: string, text: string) => h('label', { for: id, class: 'lbl' }, text);
    const update = (patch: Partial<Row>, rerender = false) => {
      Object.assign(row, patch);
      if (rerender) renderRecipients();
      check();
    };
    const person = h('select', {
      id: ids.person,
      onchange: (e: Event) => {
        const key = (e.target as HTMLSelectElement).value;
        const p = state.proposal?.people.find((x) => x.key === key);
        const u = key.startsWith('user:') ? state.users.find((x) => `user:${x.id}` === key) : undefined;
        if (p) update(personPatch(p), true);
        else if (u) update(userPatch(u), true);
        else update({ personKey: null, source: 'manual', b24UserId: undefined, crmContactId: undefined }, true);
      },
    }, personOptions(row));
    // Bitrix24's own pickers (every employee, every CRM record, with their search) where the portal frames us.
    const pickers = deps.frame.canPick()
      ? h('span', { style: 'display:flex;gap:2px;flex-wrap:wrap' },
          h('button', { type: 'button', class: 'btn btn-link btn-sm', 'data-action': 'pick-user', onclick: () => void pickUser(row) }, t('new.pickEmployee')),
          h('button', { type: 'button', class: 'btn btn-link btn-sm', 'data-action': 'pick-crm', onclick: () => void pickCrm(row) }, t('new.pickCrm')))
      : null;
    // An employee may have no e-mail: they sign inside Bitrix24 (src/signing/in-portal.ts), without a code.
    const signsInPortal = !row.email && reachedInPortal(row);
    const emailMissing = !row.email && !signsInPortal;
    const fixPath = state.proposal?.people.find((p) => p.key === row.personKey)?.fixPath;
    return h('div', { class: 'rrow', 'data-recipient-row': String(i) },
      h('div', { class: 'field' }, label(ids.order, t('new.order')),
        h('input', { id: ids.order, type: 'number', min: 1, max: 100, value: row.order, 'data-k': 'order', oninput: (e: Event) => update({ order: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) }) })),
      h('div', { class: 'field' }, label(ids.role, t('new.role')),
        h('select', { id: ids.role, onchange: (e: Event) => update({ role: (e.target as HTMLSelectElement).value as Row['role'] }) },
          (['signer', 'approver', 'viewer'] as const).map((r) => h('option', { value: r, selected: row.role === r }, t(`role.${r}`))))),
      h('div', { class: 'field' }, label(ids.person, `${t('new.pickPerson')} · ${t(`party.${row.party}`)}`), person, pickers),
      h('div', { class: 'field' }, label(ids.name, t('new.name')),
        h('input', { id: ids.name, type: 'text', value: row.name, 'data-k': 'name', 'aria-invalid': row.name ? null : 'true', oninput: (e: Event) => { const el = e.target as HTMLInputElement; el.setAttribute('aria-invalid', String(!el.value.trim())); update({ name: el.value }); } })),
      h('div', { class: 'field' }, label(ids.email, t('new.email')),
        h('input', { id: ids.email, type: 'email', value: row.email, 'data-k': 'email', 'aria-invalid': emailMissing ? 'true' : null, oninput: (e: Event) => { const el = e.target as HTMLInputElement; el.setAttribute('aria-invalid', String(!isEmail(el.value.trim()))); update({ email: el.value.trim() }); } }),
        emailMissing && fixPath ? h('button', { type: 'button', class: 'btn btn-link btn-sm', style: 'align-self:flex-start', onclick: () => openFix(fixPath) }, t('action.openInCrm')) : null,
        signsInPortal ? h('span', { class: 'muted' }, t('new.emailInPortal')) : null),
      h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `${t('action.remove')}: ${row.name || i + 1}`, title: t('action.remove'), onclick: () => { state.rows.splice(i, 1); renderRecipients(); check(); } }, '✕'),
    );
  }

  const userPatch = (u: PortalUser): Partial<Row> => ({ personKey: `user:${u.id}`, name: u.name, email: u.email ?? '', b24UserId: u.id, crmContactId: undefined, party: 'company', source: 'user' });
  const personPatch = (p: Person): Partial<Row> => ({
    personKey: p.key, name: p.name, email: p.email ?? '', phone: p.phone ?? undefined, b24UserId: p.b24UserId, crmContactId: p.crmContactId,
    party: p.kind === 'contact' || p.kind === 'company' ? 'client' : 'company',
    // A contact picked from the whole CRM is this document's, not "the card's contact" next time.
    source: state.picked.has(p.key) ? 'manual' : p.kind === 'responsible' ? 'responsible' : p.kind === 'contact' ? 'contact' : 'manual',
  });

  function take(row: Row, patch: Partial<Row>) {
    Object.assign(row, patch);
    renderRecipients();
    check();
  }

  /** Bitrix24's user picker answers id and name; the e-mail comes from the portal through our server. */
  async function pickUser(row: Row) {
    try {
      const picked = await deps.frame.selectUser();
      if (!picked) return;
      const { user } = await ep.user(Number(picked.id));
      if (!state.users.some((u) => u.id === user.id)) state.users.push(user);
      take(row, userPatch(user));
    } catch (e) {
      showError(e, problemsBox);
    }
  }

  async function pickCrm(row: Row) {
    try {
      const picked = await deps.frame.selectCRM({ entityType: ['contact', 'company'], multiple: false });
      const hit = /^(C|CO)_(\d+)$/.exec(picked?.contact?.[0]?.id ?? picked?.company?.[0]?.id ?? '');
      if (!hit || !state.proposal) return;
      const { person } = await ep.crmPerson(hit[1] === 'C' ? 'contact' : 'company', Number(hit[2]));
      if (!state.proposal.people.some((p) => p.key === person.key)) {
        state.proposal.people.push(person);
        state.picked.add(person.key);
      }
      take(row, personPatch(person));
    } catch (e) {
      showError(e, problemsBox);
    }
  }

  function openFix(path: string) {
    if (!deps.frame.openPath(path)) window.open(`https://${deps.boot.portalDomain}${path}`, '_blank', 'noopener');
  }

  // ——— step 4: preview ———

  function renderPreviewStep() {
    if (!state.template) {
      previewStep.hidden = true;
      return;
    }
    previewStep.hidden = false;
    const pages = h('div', { class: 'pages', 'data-preview': '' });
    const btn = h('button', {
      type: 'button', class: 'btn', 'data-action': 'preview',
      onclick: async () => {
        btn.disabled = true;
        clear(pages, loading());
        try {
          const bytes = await ep.previewTemplate(state.template!.id, entity, state.values, deps.boot.lang);
          const { openPdf, renderPages } = await import('./pdf.js');
          const doc = await openPdf(bytes);
          clear(pages);
          await renderPages(doc, pages, Math.min(760, previewStep.clientWidth - 40), (n, total) => t('own.page', { n, total }));
        } catch (e) {
          showError(e, pages);
        } finally {
          btn.disabled = false;
        }
      },
    }, t('action.preview'));
    clear(previewStep, h('h2', {}, t('new.preview')), h('p', { class: 'hint' }, t('new.previewHint'), ' ', btn), pages);
  }

  // ——— problems and send ———

  /** What stops sending, each with the CRM card where it can be fixed when there is one. */
  function problems(): { text: string; fixPath?: string }[] {
    const out: { text: string; fixPath?: string }[] = [];
    const fields = state.proposal?.fields ?? [];
    for (const f of fields) if (f.required && !state.values[f.key]?.trim()) out.push({ text: t('missing.field', { field: f.label }), ...(f.fixPath ? { fixPath: f.fixPath } : {}) });
    if (!state.rows.some((r) => r.role === 'signer')) out.push({ text: t('missing.noSigner') });
    if (state.proposal && !state.rows.some((r) => r.party === 'client')) out.push({ text: t('missing.noClient') });
    for (const r of state.rows) {
      if (!r.name.trim()) out.push({ text: t('missing.recipientName') });
      else if (!isEmail(r.email) && !(reachedInPortal(r) && !r.email)) {
        const person = state.proposal?.people.find((p) => p.key === r.personKey);
        const fixPath = person?.fixPath;
        out.push({ text: t('missing.email', { name: r.name }), ...(fixPath ? { fixPath } : {}) });
      }
    }
    if (start.mode !== 'template') {
      for (const r of state.rows.filter((x) => x.role === 'signer')) {
        if (!state.placed.some((f) => f.party === r.party && (f.type === 'signature' || f.type === 'stamp' || f.type === 'initials'))) {
          out.push({ text: t('missing.fieldsUnplaced') });
          break;
        }
      }
    }
    if (start.mode !== 'template') {
      // The server refuses these at send (FIELDS_OVERLAP): say so while the fields are being placed.
      for (const o of findOverlaps(state.placed)) out.push({ text: t('error.fieldsOverlap', { a: fieldName(o.a.key), b: fieldName(o.b.key), page: o.page + 1 }) });
    }
    const seen = new Set<string>();
    return out.filter((p) => !seen.has(p.text) && seen.add(p.text));
  }

  /** A placed field as the sender knows it: its label and whose it is ("Signature (Client)"). */
  function fieldName(key: string): string {
    const f = state.placed.find((x) => x.key === key);
    if (!f) return key;
    return `${f.label?.trim() || t(`ftype.${f.type}` as CardKey)} (${t(`party.${f.party}` as CardKey)})`;
  }

  /**
   * "Signs for us" / "represented by" follow the company signer chosen below (signer-binding.ts), so
   * the form and the preview never name someone other than the person who signs; the server applies
   * the same rule at send.
   */
  function syncCompanySigner() {
    const name = companySignerName(state.rows);
    for (const f of state.proposal?.fields ?? []) {
      if (!f.followsCompanySigner) continue;
      const input = fieldsStep.querySelector(`[data-field="${f.key}"]`) as HTMLInputElement | null;
      // Typing here would be overwritten at send: the signer row below is where it changes.
      if (input) input.readOnly = Boolean(name);
      if (!name || state.values[f.key] === name) continue;
      state.values[f.key] = name;
      if (input) input.value = name;
    }
  }

  function check() {
    syncCompanySigner();
    const list = problems();
    const ready = start.mode === 'template' ? Boolean(state.template && state.proposal) : Boolean(state.pdfBytes && state.proposal);
    sendBtn.disabled = state.sending || !ready || list.length > 0;
    if (list.length === 0 || !ready) clear(problemsBox);
    else
      clear(problemsBox, h('div', { class: 'warn', id: 'problems' }, h('strong', {}, t('missing.heading')),
        h('ul', {}, list.map((p) => h('li', {}, p.text, p.fixPath ? [' ', h('button', { type: 'button', class: 'btn btn-link btn-sm', onclick: () => openFix(p.fixPath!) }, t('action.openInCrm'))] : null)))));
    renderWarnings(ready && list.length === 0 ? warnings() : []);
  }

  /** Data that looks wrong but may be meant (the server's own check, data-checks.ts): sent once the sender confirms. */
  function warnings(): DataIssue[] {
    if (!state.template || !state.proposal) return [];
    const fields = state.proposal.fields.map((f) => ({ ...f, party: 'sender' as const, binding: f.binding ?? undefined }));
    return checkDocumentData(fields, state.values).warnings;
  }

  function warningText(w: DataIssue): string {
    return w.code === 'date_before_document_date' ? t('warn.dateBefore', { field: w.label, other: w.documentDateLabel }) : t('warn.amountZero', { field: w.label });
  }

  function renderWarnings(list: DataIssue[]) {
    // A confirmation covers the warnings the sender saw: a different list asks again.
    const key = list.map((w) => `${w.code}:${w.field}`).join(',');
    if (key !== state.warningsKey) Object.assign(state, { warningsKey: key, warningsConfirmed: false });
    if (!list.length) {
      clear(warningsBox);
      return;
    }
    const id = nextId('wc');
    clear(warningsBox, h('div', { class: 'warn', id: 'data-warnings' }, h('strong', {}, t('warn.heading')),
      h('ul', {}, list.map((w) => h('li', {}, warningText(w), ' ', h('button', { type: 'button', class: 'btn btn-link btn-sm', onclick: () => (fieldsStep.querySelector(`[data-field="${w.field}"]`) as HTMLElement | null)?.focus() }, t('warn.fix'))))),
      h('label', { for: id }, h('input', { type: 'checkbox', id, 'data-action': 'confirm-warnings', checked: state.warningsConfirmed, onchange: (e: Event) => (state.warningsConfirmed = (e.target as HTMLInputElement).checked) }), ' ', t('warn.confirm'))));
  }

  async function send() {
    if (problems().length) return check();
    if (warnings().length && !state.warningsConfirmed) {
      (warningsBox.querySelector('[data-action="confirm-warnings"]') as HTMLElement | null)?.focus();
      return;
    }
    state.sending = true;
    sendBtn.disabled = true;
    sendBtn.textContent = t('new.sending');
    try {
      const recipients = state.rows.map(({ role, party, order, name, email, phone, b24UserId, crmContactId }) => ({
        role, party, order, name: name.trim(), ...(email.trim() ? { email: email.trim() } : {}),
        ...(phone ? { phone } : {}), ...(b24UserId ? { b24UserId } : {}), ...(crmContactId ? { crmContactId } : {}),
      }));
      const title = titleInput.value.trim() || state.template?.name || t('own.heading');
      let remember: { id: string; name: string; kind: string } | null = state.template ? { id: state.template.id, name: state.template.name, kind: state.template.kind } : null;
      if (start.mode !== 'template' && saveTpl.checked && state.pdfBytes) {
        const uploaded = await ep.uploadPdf(new Blob([state.pdfBytes], { type: 'application/pdf' }), `${title}.pdf`);
        const saved = await ep.saveTemplate({ name: saveTplName.value.trim() || title, kind: 'other', language: deps.boot.lang, source: { type: 'upload', fileId: uploaded.file.id }, fields: state.placed });
        remember = saved.template;
      }
      let fields: EnvelopeFieldInput[] | undefined;
      if (state.pdfBytes) {
        // CRM-bound text boxes are filled now, from the item as it is at sending time.
        const bindings = [...new Set(state.placed.flatMap((f) => (f.binding ? [f.binding] : [])))];
        const bound = bindings.length ? (await ep.proposal(entity, undefined, state.slots, bindings)).bindingValues : {};
        fields = state.placed.map((f) => ({
          key: f.key, type: f.type, page: f.page, box: f.box, required: f.required,
          ...(f.label ? { label: f.label } : {}),
          party: f.binding ? 'sender' : f.party,
          ...(f.binding && bound[f.binding] ? { defaultValue: bound[f.binding] } : {}),
        }));
      }
      const res = await ep.createEnvelope({
        title,
        lang: deps.boot.lang,
        crm: entity,
        ...(state.template ? { templateId: state.template.id, values: state.values } : {}),
        ...(state.pdfBytes ? { pdfBase64: toBase64(state.pdfBytes), fields } : {}),
        recipients,
        send: true,
        confirmWarnings: state.warningsConfirmed,
      });
      // A starter became the portal's template at this send: remember that one.
      if (remember && state.template && remember.id === state.template.id && res.envelope.templateId) remember.id = res.envelope.templateId;
      if (remember) {
        const slots: RecipientSlot[] = state.rows.map((r) => ({
          role: r.role, party: r.party, order: r.order, source: r.source,
          ...(r.source === 'user' && r.b24UserId ? { userId: r.b24UserId } : {}),
          ...(r.source === 'manual' ? { name: r.name, email: r.email, ...(r.phone ? { phone: r.phone } : {}) } : {}),
        }));
        // Remembering is a convenience: a failure here must not turn a sent document into an error.
        await ep.rememberLastUsed({ kind: remember.kind, templateId: remember.id, templateName: remember.name, entityTypeId: entity.entityTypeId, slots, recipientNames: state.rows.map((r) => r.name) }).catch(() => undefined);
      }
      toast(t('toast.sent'));
      deps.onDone(res.envelope.id);
    } catch (e) {
      state.sending = false;
      sendBtn.textContent = t('action.send');
      clear(problemsBox, h('div', { class: 'warn', role: 'alert' }, userMessage(t, e)));
      check();
      sendBtn.disabled = false;
    }
  }

  // ——— own PDF and CRM documents: upload, then place fields ———

  async function showUpload() {
    const fileId = nextId('file');
    const input = h('input', { type: 'file', id: fileId, accept: 'application/pdf,.pdf', class: 'sr-only', 'data-k': 'pdf' }) as HTMLInputElement;
    const zone = h('div', { class: 'drop' },
      h('p', {}, t('own.drop')),
      h('label', { for: fileId, class: 'btn', tabindex: 0, role: 'button', onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter' || (e as KeyboardEvent).key === ' ') { e.preventDefault(); input.click(); } } }, t('own.choose')),
      input);
    const take = (file: File | undefined) => { if (file) void uploadAndEdit(file); };
    input.addEventListener('change', () => take(input.files?.[0]));
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); take(e.dataTransfer?.files[0]); });
    clear(sourceStep, h('h2', {}, t('own.heading')), zone);
  }

  async function uploadAndEdit(file: File) {
    const bytes = await file.arrayBuffer();
    if (!new TextDecoder('latin1').decode(new Uint8Array(bytes, 0, Math.min(1024, bytes.byteLength))).includes('%PDF-')) {
      clear(problemsBox, h('div', { class: 'warn', role: 'alert' }, t('own.notPdf')));
      return;
    }
    clear(problemsBox);
    if (!state.title) titleInput.value = state.title = file.name.replace(/\.pdf$/i, '');
    try {
      await edit(bytes);
    } catch (e) {
      await showUpload();
      showError(e, problemsBox);
    }
  }

  async function edit(bytes: ArrayBuffer) {
    state.pdfBytes = bytes;
    saveRow.hidden = false;
    const proposalP = loadProposal();
    const { mountEditor } = await import('../editor/editor.js');
    clear(sourceStep, h('h2', {}, t('own.place')));
    await mountEditor(sourceStep, {
      t, bytes,
      onChange: (placed) => { state.placed = placed; check(); },
      // Signing parties in signing order: a new field goes to the first one without a signature yet.
      parties: () => [...new Set([...state.rows].filter((r) => r.role === 'signer').sort((a, b) => a.order - b.order).map((r) => r.party))],
    });
    await proposalP;
  }

  async function showDocgen() {
    const { pickDocgenDocument } = await import('./docgen.js');
    await pickDocgenDocument(sourceStep, { t, ep, entity, preselect: start.mode === 'docgen' ? start.documentId : undefined, onReady: async (doc, _uploadId, bytes) => {
      state.docgenDocumentId = doc.id;
      if (!state.title) titleInput.value = state.title = doc.title;
      await edit(bytes);
    } });
  }

  fieldsStep.hidden = true;
  previewStep.hidden = true;
  check();
  if (start.mode === 'template') await showTemplates();
  else if (start.mode === 'pdf') await showUpload();
  else await showDocgen();
}
