// Registering a household, or updating one downloaded to the device, with the form's skip logic, languages and
// checks (the hub's own, from core/forms and core/sync/validate-changes.ts), then queued with a fresh client UUID.
import { useEffect, useState } from 'preact/hooks';
import { validateWithDefinition } from '../../../core/forms/validate.js';
import { changeErrors } from '../../../core/sync/validate-changes.js';
import type { PushItem } from '../../../core/sync/types.js';
import { newUuid, type FieldError } from '../../shared/api.js';
import { useLanguage } from '../../shared/i18n.js';
import { navigate } from '../../shared/router.js';
import { Button, Loading, Notice } from '../../shared/ui.js';
import { FormView, pruneUnasked } from '../form-view.js';
import { t } from '../i18n/index.js';
import { answerPathOf, answersOf, changesOf, summaryOf, type Answers } from '../record.js';
import { changed, update } from '../state.js';
import { store, type AdminArea, type RecordedResult, type StoredForm, type StoredHousehold } from '../store.js';

interface Loaded {
  forms: StoredForm[];
  areas: AdminArea[];
  household?: StoredHousehold;
  from?: RecordedResult;
}

function useLoaded(load: () => Promise<Loaded>, deps: unknown[]) {
  const [loaded, setLoaded] = useState<Loaded>();
  useEffect(() => void load().then(setLoaded), deps);
  return loaded;
}

/** Answer paths with their messages; errors are given with hub paths (body.items[0]...) and mapped. */
function byAnswerPath(errors: FieldError[], item: Partial<PushItem>, base?: StoredHousehold): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of errors) {
    const path = answerPathOf(e.field ?? '', item as PushItem, base);
    out.set(path, [...(out.get(path) ?? []), e.message]);
  }
  return out;
}

/** The form's language for this reader: theirs when the form has it, else the form's default. */
const formLanguage = (form: StoredForm, language: string) => (form.definition.languages.includes(language) ? language : form.definition.default_language);

export function RegisterHousehold({ from }: { from?: string }) {
  const loaded = useLoaded(async () => ({ forms: await store.forms(), areas: (await store.sync()).areas ?? [], from: from ? await store.result(from) : undefined }), [from]);
  if (!loaded) return <Loading label={t('loading')} />;
  if (loaded.forms.length === 0) return <Notice kind="error">{t('collect.no_forms')}</Notice>;
  return <Collect loaded={loaded} />;
}

export function EditHousehold({ id }: { id: string }) {
  const loaded = useLoaded(async () => ({ forms: await store.forms(), areas: (await store.sync()).areas ?? [], household: await store.household(id) }), [id]);
  if (!loaded) return <Loading label={t('loading')} />;
  if (!loaded.household) return <Notice kind="error">{t('collect.not_on_device')}</Notice>;
  if (loaded.forms.length === 0) return <Notice kind="error">{t('collect.no_forms')}</Notice>;
  return <Collect loaded={loaded} />;
}

function Collect({ loaded }: { loaded: Loaded }) {
  const language = useLanguage();
  const { household, from } = loaded;
  const [formId, setFormId] = useState(from?.item.form.id ?? loaded.forms[0].form_id);
  const form = loaded.forms.find((f) => f.form_id === formId) ?? loaded.forms[0];
  const lang = formLanguage(form, language);
  const initial = (): Answers => {
    if (household) return answersOf(household);
    if (from?.item.household) return structuredClone(from.item.household) as Answers;
    const areas = loaded.areas;
    return { members: [{ relationship: 'SELF', person: {} }], ...(areas.length === 1 ? { area_code: areas[0].code } : {}) };
  };
  const [answers, setAnswers] = useState<Answers>(initial);
  // the hub's refusal of a corrected registration shows until the first change; then the device's own checks,
  // live once the worker has tried to save
  const [hubErrors, setHubErrors] = useState(() => (from?.result.errors ? byAnswerPath(from.result.errors, from.item) : undefined));
  const [tried, setTried] = useState(false);
  const [message, setMessage] = useState<'fix' | 'unchanged'>();

  /** The push item these answers make, or what is wrong with them (the hub's form checks, run here). */
  const prepare = (current: Answers): { item?: PushItem; errors: Map<string, string[]>; unchanged?: boolean } => {
    const clean = pruneUnasked(form.definition, current, lang);
    const base = { client_id: newUuid(), captured_at: new Date().toISOString(), form: { id: form.form_id, version: form.version } };
    if (household) {
      const changes = changesOf(form.definition, household, clean);
      if (!changes) return { errors: new Map(), unchanged: true };
      const item: PushItem = { ...base, kind: 'update', household_id: household.id, base_version: household.version, changes };
      const found = changeErrors((data, options) => validateWithDefinition(form.definition, data, { ...options, language: lang }), changes, 'body.items[0]', 'body.items[0].form');
      return found.length ? { errors: byAnswerPath(found, item, household) } : { item, errors: new Map() };
    }
    const found = validateWithDefinition(form.definition, clean, { at: 'body.items[0].household', language: lang });
    if (found.length) return { errors: byAnswerPath(found, { kind: 'new' }) };
    return { item: { ...base, kind: 'new', household: clean as PushItem['household'] }, errors: new Map() };
  };
  const errors = hubErrors ?? (tried ? prepare(answers).errors : new Map<string, string[]>());

  const save = async () => {
    setMessage(undefined);
    setTried(true);
    setHubErrors(undefined);
    const { item, errors: found, unchanged } = prepare(answers);
    if (unchanged) return setMessage('unchanged');
    if (!item) {
      setMessage(found.size ? 'fix' : undefined);
      requestAnimationFrame(() => (document.querySelector('[aria-invalid="true"], .field-invalid input, .field-error') as HTMLElement | null)?.focus?.());
      return;
    }
    await store.enqueue({ client_id: item.client_id, item, summary: summaryOf(pruneUnasked(form.definition, answers, lang), household), queued_at: item.captured_at }, from);
    update({ flash: 'home.saved' });
    changed();
    navigate('/');
  };
  const edit = (next: Answers) => {
    setAnswers(next);
    setHubErrors(undefined);
  };

  return (
    <>
      <h1>{household ? t('collect.update_title', { name: summaryOf(answersOf(household), household) }) : t('collect.register_title')}</h1>
      {loaded.forms.length > 1 && !household && (
        <label class="field">
          <span>{t('collect.form')}</span>
          <select value={formId} onChange={(e) => setFormId((e.target as HTMLSelectElement).value)}>
            {loaded.forms.map((f) => <option value={f.form_id}>{f.title[lang] ?? Object.values(f.title)[0]}</option>)}
          </select>
        </label>
      )}
      <p class="meta">{form.title[lang] ?? Object.values(form.title)[0]} · {t('collect.version', { v: form.version })}{household && <> · {t('collect.base_version', { v: household.version })}</>}</p>
      {from && <Notice kind="info">{t('collect.correcting')}</Notice>}
      {message === 'unchanged' && <div data-testid="collect-message"><Notice kind="info">{t('collect.nothing_changed')}</Notice></div>}
      {message === 'fix' && errors.size > 0 && (
        <div data-testid="collect-message"><Notice kind="error">{t('collect.fix', { n: [...errors.values()].reduce((n, m) => n + m.length, 0) })}</Notice></div>
      )}
      <form onSubmit={(e) => (e.preventDefault(), void save())} noValidate>
        <FormView definition={form.definition} answers={answers} onChange={edit} language={lang} errors={errors} areas={loaded.areas} fixedMembers={household?.members.length ?? 0} />
        <div class="actions sticky-actions">
          <Button type="submit" data-testid="save">{t('collect.save')}</Button>
          <Button variant="secondary" onClick={() => history.back()}>{t('collect.cancel')}</Button>
        </div>
      </form>
      <p class="hint">{t('collect.offline_note')}</p>
    </>
  );
}
