// My household and my data: everything the registry holds about the person, their household's members, and the
// household's answers, labelled with the questionnaire's own wording.
import { formatDate, formatDateTime } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { ErrorNotice, Loading, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';
import { answerRows, loadRegistrationForm, type Answer } from './answers.js';

interface Member { person_id: string; relationship: string; me: boolean; given_name: string | null; family_name: string | null; sex: string | null; birth_date: string | null }

interface Record_ {
  person: {
    id: string; given_name: string | null; family_name: string | null; other_names: string | null; sex: string | null; birth_date: string | null;
    birth_date_estimated: boolean; phone: string | null; email: string | null; preferred_language: string | null; disabilities: string[];
    identifiers: { type: string; value: string }[]; attributes: Record<string, unknown>; created_at: string; updated_at: string;
  };
  household: null | { id: string; area_code: string; address: string | null; attributes: Record<string, unknown>; my_relationship: string; members: Member[] };
}

export const fullName = (p: { given_name: string | null; family_name: string | null; other_names?: string | null }) =>
  [p.given_name, p.other_names, p.family_name].filter(Boolean).join(' ') || '—';

export function HouseholdPage({ api }: PageProps) {
  const record = useAsync(async () => {
    const [mine, form] = await Promise.all([api.get<Record_>('/api/v1/me/record'), loadRegistrationForm().catch(() => undefined)]);
    return { mine, form };
  }, []);
  if (record.loading && !record.data) return <Loading label={t('loading')} />;
  if (record.error) return <ErrorNotice error={record.error} />;
  const { mine, form } = record.data!;
  const { person, household } = mine;
  const householdAnswers: Answer[] = form && household ? answerRows(form.form.definition, household.attributes, 'household') : [];
  const myAnswers: Answer[] = form ? answerRows(form.form.definition, person.attributes, 'person') : [];

  return (
    <>
      <h1>{t('household.title')}</h1>
      <section class="portal-card" aria-labelledby="me-title" data-testid="my-data">
        <h2 id="me-title">{t('household.me')}</h2>
        <dl class="facts">
          <Fact label={t('person.name')} value={fullName(person)} testId="my-name" />
          <Fact label={t('person.sex')} value={person.sex ? t(`sex.${person.sex}`) : undefined} />
          <Fact label={t('person.birth_date')} value={person.birth_date ? `${formatDate(person.birth_date)}${person.birth_date_estimated ? ` (${t('person.estimated')})` : ''}` : undefined} />
          <Fact label={t('person.phone')} value={person.phone ?? undefined} />
          <Fact label={t('person.email')} value={person.email ?? undefined} />
          <Fact label={t('person.language')} value={person.preferred_language ?? undefined} />
          {person.identifiers.map((i) => <Fact label={t('person.identifier', { type: i.type })} value={i.value} />)}
          {person.disabilities.length > 0 && <Fact label={t('person.disabilities')} value={person.disabilities.map((d) => t(`disability.${d}`)).join(', ')} />}
          {myAnswers.map((a) => <Fact label={a.label} value={a.value} />)}
          <Fact label={t('person.registered')} value={formatDateTime(person.created_at)} />
        </dl>
      </section>

      {household ? (
        <section class="portal-card" aria-labelledby="household-title">
          <h2 id="household-title">{t('household.household')}</h2>
          <dl class="facts">
            <Fact label={t('household.address')} value={household.address ?? undefined} />
            <Fact label={t('household.area')} value={form?.areas.find((a) => a.code === household.area_code)?.name ?? household.area_code} />
          </dl>
          <h3>{t('household.members')}</h3>
          <ul class="member-list" data-testid="members">
            {household.members.map((m) => (
              <li data-testid="member">
                <strong>{fullName(m)}</strong>{m.me && <span class="tag">{t('household.you')}</span>}
                <span class="muted">{[t(`relationship.${m.relationship}`), m.birth_date ? formatDate(m.birth_date) : ''].filter(Boolean).join(' · ')}</span>
              </li>
            ))}
          </ul>
          {householdAnswers.length > 0 && (
            <details>
              <summary>{t('household.answers')}</summary>
              <dl class="facts">{householdAnswers.map((a) => <Fact label={a.label} value={a.value} />)}</dl>
            </details>
          )}
        </section>
      ) : (
        <p class="muted">{t('household.none')}</p>
      )}

      <section class="portal-card" aria-labelledby="wrong-title">
        <h2 id="wrong-title">{t('household.wrong')}</h2>
        <p>{t('household.wrong_text')}</p>
        <a class="btn btn-primary btn-wide" href={href('/correct')} data-testid="ask-correction">{t('household.ask_correction')}</a>
      </section>
    </>
  );
}

export function Fact(props: { label: string; value?: string; testId?: string }) {
  return (
    <div class="fact">
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.value ?? <span class="muted">{t('value.none')}</span>}</dd>
    </div>
  );
}
