// A person (#/persons/<id>): details, identifiers, household, identity verifications, consents (state only) and history.
import './insight.css';
import { formatDate, formatDateTime } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { ErrorNotice, Loading, Table, useAsync } from '../../shared/ui.js';
import { hasScope, type PageProps } from '../context.js';
import { HistorySection, type Verification } from './household.js';
import { codeLabel, fullName, type Person } from './registry.js';

const PURPOSE = 'Staff console: person review';
const opts = { purpose: PURPOSE };

interface Consent { id: string; agreement_code: string; purpose_code: string; state: string; in_force: boolean; valid_from: string; valid_until: string; channel: string }

export function PersonPage(props: PageProps) {
  const { api, session, t, route } = props;
  const id = route.parts[1] ?? '';
  const person = useAsync(() => api.get<Person>(`/api/v1/persons/${encodeURIComponent(id)}`, opts), [id]);
  const verifications = useAsync(() => api.get<{ items: Verification[] }>(`/api/v1/persons/${encodeURIComponent(id)}/verifications?limit=20`, opts), [id]);
  const canConsents = hasScope(session, 'consent.manage');
  const consents = useAsync(
    async () => (canConsents ? api.get<{ items: Consent[] }>(`/api/v1/consent/consents?person_id=${encodeURIComponent(id)}&limit=50`, opts) : null),
    [id],
  );
  const p = person.data;
  return (
    <>
      <p><a href={href(p?.household ? `/households/${p.household.household_id}` : '/registry')}>{p?.household ? t('person.back_household') : t('reg.back')}</a></p>
      <h1>{p ? fullName(p) : t('person.title')}</h1>
      {person.loading && <Loading label={t('loading')} />}
      <ErrorNotice error={person.error} />
      {p && (
        <dl class="facts" data-testid="person-facts">
          <dt>{t('reg.sex')}</dt><dd>{codeLabel(t, 'sex', p.sex)}</dd>
          <dt>{t('reg.birth_date')}</dt><dd>{p.birth_date ? `${formatDate(p.birth_date)}${p.birth_date_estimated ? ` (${t('person.estimated')})` : ''}` : '—'}</dd>
          {p.death_date && <><dt>{t('person.death_date')}</dt><dd>{formatDate(p.death_date)}</dd></>}
          <dt>{t('person.identifiers')}</dt><dd>{(p.identifiers ?? []).map((i) => `${i.type} ${i.value}`).join(', ') || '—'}</dd>
          <dt>{t('person.phone')}</dt><dd>{p.phone ?? '—'}</dd>
          <dt>{t('person.disabilities')}</dt><dd>{(p.disabilities ?? []).join(', ') || '—'}</dd>
          <dt>{t('reg.household')}</dt>
          <dd>{p.household ? <a href={href(`/households/${p.household.household_id}`)}>{codeLabel(t, 'relationship', p.household.relationship)}</a> : t('reg.no_household')}</dd>
          <dt>{t('hh.registered')}</dt><dd>{formatDateTime(p.created_at)}</dd>
        </dl>
      )}
      {p && (
        <>
          <section aria-labelledby="verifications-title">
            <h2 id="verifications-title">{t('person.verifications')}</h2>
            <ErrorNotice error={verifications.error} />
            {verifications.data && (
              <Table
                testId="person-verifications" rows={verifications.data.items} empty={t('hh.not_verified')}
                columns={[
                  { label: t('hh.when'), value: (v) => formatDateTime(v.verified_at) },
                  { label: t('person.method'), value: (v) => v.method },
                  { label: t('person.system'), value: (v) => v.system },
                  { label: t('person.result'), value: (v) => codeLabel(t, 'verification', v.result) },
                ]}
              />
            )}
          </section>
          <section aria-labelledby="consents-title">
            <h2 id="consents-title">{t('hh.consents')}</h2>
            {!canConsents && <p class="muted">{t('hh.consents_hidden')}</p>}
            <ErrorNotice error={consents.error} />
            {consents.data && (
              <Table
                testId="person-consents" rows={consents.data.items} empty={t('hh.no_consents')}
                columns={[
                  { label: t('person.agreement'), value: (c) => c.agreement_code },
                  { label: t('person.purpose'), value: (c) => c.purpose_code },
                  { label: t('person.state'), value: (c) => `${codeLabel(t, 'consent', c.state)}${c.in_force ? '' : ` (${t('hh.not_in_force')})`}` },
                  { label: t('person.valid_until'), value: (c) => formatDate(c.valid_until) },
                ]}
              />
            )}
          </section>
          <HistorySection {...props} path={`/api/v1/persons/${p.id}/history`} purpose={PURPOSE} />
        </>
      )}
    </>
  );
}
