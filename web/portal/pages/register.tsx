// Registering a household online: the published questionnaire, one section per step, validated in the browser with
// the very code the server runs (core/forms render.ts + validate.ts), then a review of the answers and one
// submission to the registration workflow (channel online). Answers to questions that do not apply are not sent.
import { useMemo, useState } from 'preact/hooks';
import type { FormDefinition } from '../../../core/forms/definition.js';
import { renderForm, type RenderedSection } from '../../../core/forms/render.js';
import { validateWithDefinition } from '../../../core/forms/validate.js';
import { ApiError, newUuid } from '../../shared/api.js';
import { currentLanguage, formatDate, useLanguage } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Loading, Notice, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';
import { answerText, loadRegistrationForm, textIn } from './answers.js';
import { FormFieldInput, readAt, writeAt, type Areas } from './form-fields.js';

type Data = Record<string, unknown> & { members: Record<string, unknown>[] };

const today = () => new Date().toISOString().slice(0, 10);
const AT = 'data';

/** Where an answer sits in the data: the section's own field, or a member's. */
const pathOf = (index: number | null, fieldPath: string) => (index === null ? fieldPath : `members[${index}].${fieldPath}`);

/** The answers to send: those to questions that are asked (skip logic), as the server checks them. */
export function askedOnly(sections: RenderedSection[], data: Data): Data {
  let out = data;
  for (const section of sections) {
    for (const item of section.items) {
      for (const field of item.fields) {
        if (!field.asked && readAt(out, pathOf(item.index, field.path)) !== undefined) out = writeAt(out, pathOf(item.index, field.path), undefined);
      }
    }
  }
  return out;
}

export function RegisterPage({ api, session }: PageProps) {
  const form = useAsync(loadRegistrationForm, []);
  if (form.loading && !form.data) return <Loading label={t('loading')} />;
  if (form.error) return <ErrorNotice error={form.error} />;
  return <Questionnaire api={api} phone={session.phone} form={form.data!.form} areas={form.data!.areas} />;
}

function Questionnaire(props: { api: PageProps['api']; phone?: string; form: { id: string; version: number; definition: FormDefinition; title: Record<string, string> }; areas: Areas }) {
  const language = useLanguage();
  const { definition } = props.form;
  const [data, setData] = useState<Data>(() => ({ members: [{ relationship: 'SELF', person: props.phone ? { phone: props.phone } : {} }] }));
  const [step, setStep] = useState(0);
  const [showErrors, setShowErrors] = useState(false);
  const [serverError, setServerError] = useState<unknown>();
  const [sent, setSent] = useState<{ id: string; reference: string }>();
  const [busy, setBusy] = useState(false);
  // one reference per questionnaire: a retried submission answers the first case
  const [clientRef] = useState(newUuid);

  const rendered = useMemo(() => renderForm(definition, data, language, today()), [definition, data, language]);
  const toSend = useMemo(() => askedOnly(rendered.sections, data), [rendered, data]);
  const errors = useMemo(() => validateWithDefinition(definition, toSend, { at: AT, today: today(), language }), [definition, toSend, language]);
  const errorAt = (path: string) => errors.find((e) => e.field === `${AT}.${path}`)?.message;
  const sections = rendered.sections;
  const review = step === sections.length;
  const section = sections[step];
  const sectionErrors = (s: RenderedSection) => s.items.flatMap((item) => item.fields.filter((f) => f.asked && errorAt(pathOf(item.index, f.path))));

  const go = (to: number) => {
    setStep(to);
    setShowErrors(false);
    document.getElementById('content')?.focus();
    scrollTo(0, 0);
  };
  const next = () => (sectionErrors(section).length ? setShowErrors(true) : go(step + 1));
  const update = (path: string, value: unknown) => setData((d) => writeAt(d, path, value));

  const submit = async () => {
    if (errors.length) return setShowErrors(true);
    setBusy(true);
    setServerError(undefined);
    try {
      const answer = await props.api.post<{ id: string; reference: string }>('/api/v1/portal/registrations', {
        household: toSend,
        form: { id: props.form.id, version: props.form.version },
        client_ref: clientRef,
      });
      setSent(answer);
    } catch (e) {
      setServerError(e);
    } finally {
      setBusy(false);
    }
  };

  if (sent) {
    return (
      <>
        <h1>{t('register.sent_title')}</h1>
        <Notice kind="success"><p data-testid="registration-sent" data-case-id={sent.id}>{t('register.sent', { reference: sent.reference })}</p></Notice>
        <p>{t('register.next_steps')}</p>
        <a class="btn btn-primary btn-wide" href={href('/applications')}>{t('register.follow')}</a>
      </>
    );
  }

  return (
    <>
      <h1>{textIn(props.form.title, t('register.title'))}</h1>
      <p class="muted" data-testid="step">{t('form.step', { step: step + 1, steps: sections.length + 1 })}</p>
      <ol class="steps" aria-label={t('form.steps')}>
        {sections.map((s, i) => <li aria-current={i === step ? 'step' : undefined} class={i < step ? 'done' : ''}>{s.title}</li>)}
        <li aria-current={review ? 'step' : undefined}>{t('form.review')}</li>
      </ol>
      {review ? (
        <Review sections={sections} definition={definition} data={toSend} areas={props.areas} errorAt={errorAt} onEdit={go} />
      ) : (
        <form class="portal-form" noValidate onSubmit={(e) => (e.preventDefault(), next())}>
          <h2>{section.title}</h2>
          {showErrors && sectionErrors(section).length > 0 && <Notice kind="error">{t('form.fix_errors')}</Notice>}
          {section.items.map((item) => (
            <div class={item.index === null ? '' : 'portal-card member'} data-testid={item.index === null ? undefined : 'member-form'}>
              {item.index !== null && (
                <h3>{item.index === 0 ? t('form.member_head') : t('form.member', { n: item.index + 1 })}</h3>
              )}
              {item.fields.filter((f) => f.asked).map((f) => {
                const path = pathOf(item.index, f.path);
                return <FormFieldInput field={f} path={path} value={readAt(data, path)} error={showErrors ? errorAt(path) : undefined} areas={props.areas} onChange={(v) => update(path, v)} />;
              })}
              {item.index !== null && item.index > 0 && (
                <Button variant="secondary" onClick={() => setData((d) => ({ ...d, members: d.members.filter((_, i) => i !== item.index) }))}>{t('form.remove_member')}</Button>
              )}
            </div>
          ))}
          {section.id === 'members' || sections[step].items.some((i) => i.index !== null) ? (
            <Button variant="secondary" class="btn-wide" data-testid="add-member" onClick={() => setData((d) => ({ ...d, members: [...d.members, { relationship: '', person: {} }] }))}>{t('form.add_member')}</Button>
          ) : null}
          <div class="portal-actions step-actions">
            {step > 0 && <Button variant="secondary" onClick={() => go(step - 1)}>{t('form.back')}</Button>}
            <button type="submit" class="btn btn-primary" data-testid="next-step">{t('form.next')}</button>
          </div>
        </form>
      )}
      {review && (
        <div class="portal-actions step-actions">
          <ErrorNotice error={serverError instanceof ApiError && serverError.errors.length ? new ApiError(serverError.status, serverError.code, t('register.refused'), serverError.errors.map((e) => ({ ...e, field: (e.field ?? '').replace(/^body\.household\.?/, '') }))) : serverError} />
          {showErrors && errors.length > 0 && <Notice kind="error">{t('form.fix_errors')}</Notice>}
          <Button variant="secondary" onClick={() => go(step - 1)}>{t('form.back')}</Button>
          <Button data-testid="submit-registration" disabled={busy} onClick={submit}>{t('register.send')}</Button>
        </div>
      )}
    </>
  );
}

function Review(props: { sections: RenderedSection[]; definition: FormDefinition; data: Data; areas: Areas; errorAt: (path: string) => string | undefined; onEdit: (step: number) => void }) {
  const language = currentLanguage();
  return (
    <div data-testid="review">
      <h2>{t('form.review')}</h2>
      <p>{t('form.review_text')}</p>
      {props.sections.map((section, i) => (
        <section class="portal-card">
          <h3>{section.title}</h3>
          {section.items.map((item) => (
            <div>
              {item.index !== null && <h4>{item.index === 0 ? t('form.member_head') : t('form.member', { n: item.index + 1 })}</h4>}
              <dl class="facts">
              {item.fields.filter((f) => f.asked && f.type !== 'note').map((f) => {
                const path = pathOf(item.index, f.path);
                const value = readAt(props.data, path);
                const error = props.errorAt(path);
                const field = props.definition.ui.sections.find((s) => s.id === section.id)?.fields.find((x) => x.path === f.path);
                const shown = value === undefined ? undefined
                  : path === 'area_code' ? props.areas.find((a) => a.code === value)?.name ?? String(value)
                  : f.type === 'date' ? formatDate(String(value))
                  : field ? answerText(props.definition, field, value) : String(value);
                return (
                  <div class={`fact${error ? ' field-invalid' : ''}`}>
                    <dt>{f.label}</dt>
                    <dd lang={language}>{shown ?? <span class="muted">{t('value.none')}</span>}{error && <span class="field-error"> — {error}</span>}</dd>
                  </div>
                );
              })}
              </dl>
            </div>
          ))}
          <button type="button" class="linklike" onClick={() => props.onEdit(i)}>{t('form.change', { section: section.title })}</button>
        </section>
      ))}
    </div>
  );
}
