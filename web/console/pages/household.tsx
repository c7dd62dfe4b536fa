// A household (#/households/<id>): its details and current members, eligibility per active program with each rule's
// outcome and the values it read (the explain API), the members' identity verifications and consents (their state
// only), program participation and the record's history. Each read sends the purpose in X-Purpose.
import './insight.css';
import { formatDate, formatDateTime, formatNumber } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { ErrorNotice, Loading, Table, useAsync } from '../../shared/ui.js';
import { hasScope, type PageProps } from '../context.js';
import { codeLabel, fullName, type Person } from './registry.js';

export const PURPOSE_REVIEW = 'Staff console: household review';
const opts = { purpose: PURPOSE_REVIEW };

interface Household {
  id: string;
  version: number;
  address: string | null;
  area_code: string;
  household_type: string | null;
  size: number;
  head_person_id: string | null;
  deregistered_at: string | null;
  deregistration_reason: string | null;
  channel: string;
  created_at: string;
  updated_at: string;
  members: { person_id: string; relationship: string; start_date: string; person: Person }[];
}
export interface HistoryItem { version: number; changed_at: string; changed_by: string; channel: string; changes: Record<string, { from: unknown; to: unknown }> }
interface Eligibility {
  program_id: string; program_code: string; program_name: string; eligible: boolean; passes_rules: boolean; beyond_quota: boolean; score: number | null;
  rules: { name: string; expression: string; passed: boolean; values: Record<string, unknown> }[];
}
export interface Verification { id: string; person_id: string | null; method: string; system: string; result: string; verified_at: string }
interface Consent { id: string; person_id: string; agreement_code: string; purpose_code: string; state: string; in_force: boolean; valid_until: string }
interface Participation { program_code: string; status: string; status_changed_at: string }

export function HouseholdPage(props: PageProps) {
  const { api, t, route } = props;
  const id = route.parts[1] ?? '';
  const household = useAsync(() => api.get<Household>(`/api/v1/households/${encodeURIComponent(id)}`, opts), [id]);
  const h = household.data;
  return (
    <>
      <p><a href={href('/registry')}>{t('reg.back')}</a></p>
      <h1>{t('hh.title')}</h1>
      {household.loading && <Loading label={t('loading')} />}
      <ErrorNotice error={household.error} />
      {h && (
        <>
          <dl class="facts" data-testid="household-facts">
            <dt>{t('reg.address')}</dt><dd>{h.address ?? t('reg.no_address')}</dd>
            <dt>{t('dash.area')}</dt><dd data-testid="household-area-code">{h.area_code}</dd>
            <dt>{t('hh.type')}</dt><dd>{h.household_type ?? '—'}</dd>
            <dt>{t('reg.status')}</dt><dd>{h.deregistered_at ? `${t('reg.deregistered')} (${codeLabel(t, 'deregistration', h.deregistration_reason)})` : t('reg.active')}</dd>
            <dt>{t('hh.channel')}</dt><dd>{codeLabel(t, 'channel', h.channel)}</dd>
            <dt>{t('hh.registered')}</dt><dd>{formatDateTime(h.created_at)}</dd>
          </dl>
          <h2>{t('hh.members', { n: h.members.length })}</h2>
          <Table
            testId="household-members" rows={h.members} caption={t('hh.members_caption')}
            columns={[
              { label: t('reg.name'), value: (m) => <a href={href(`/persons/${m.person_id}`)}>{fullName(m.person)}</a> },
              { label: t('hh.relationship'), value: (m) => codeLabel(t, 'relationship', m.relationship) },
              { label: t('reg.sex'), value: (m) => codeLabel(t, 'sex', m.person.sex) },
              { label: t('reg.birth_date'), value: (m) => (m.person.birth_date ? formatDate(m.person.birth_date) : '—') },
              { label: t('hh.since'), value: (m) => formatDate(m.start_date) },
            ]}
          />
          <EligibilitySection {...props} id={h.id} />
          <MemberChecks {...props} household={h} />
          <ParticipationSection {...props} id={h.id} />
          <HistorySection {...props} path={`/api/v1/households/${h.id}/history`} purpose={PURPOSE_REVIEW} />
        </>
      )}
    </>
  );
}

function EligibilitySection({ api, t, id }: PageProps & { id: string }) {
  const eligibility = useAsync(() => api.get<{ items: Eligibility[] }>(`/api/v1/households/${id}/eligibility`, opts), [id]);
  return (
    <section aria-labelledby="eligibility-title" data-testid="household-eligibility">
      <h2 id="eligibility-title">{t('hh.eligibility')}</h2>
      <ErrorNotice error={eligibility.error} />
      {eligibility.loading && <Loading label={t('loading')} />}
      {eligibility.data?.items.length === 0 && <p class="empty">{t('hh.no_programs')}</p>}
      {eligibility.data?.items.map((p) => (
        <article class="program-eligibility" data-testid={`eligibility-${p.program_code}`} data-eligible={String(p.eligible)}>
          <h3>{p.program_name} — <span class={p.eligible ? 'gain' : 'loss'}>{p.eligible ? t('hh.eligible') : t('hh.not_eligible')}</span></h3>
          <p class="muted">
            {p.score !== null && t('hh.score', { score: p.score.toFixed(2) })}{' '}
            {p.passes_rules && p.beyond_quota ? t('hh.beyond_quota') : ''}
          </p>
          <Table
            caption={t('hh.rules_caption', { program: p.program_name })} rows={p.rules}
            columns={[
              { label: t('hh.rule'), value: (r) => r.name },
              { label: t('hh.expression'), value: (r) => <code>{r.expression}</code> },
              { label: t('hh.outcome'), value: (r) => <span class={r.passed ? 'gain' : 'loss'}>{r.passed ? t('hh.passed') : t('hh.failed')}</span> },
              { label: t('hh.values'), value: (r) => Object.entries(r.values).map(([k, v]) => `${k} = ${valueText(v)}`).join(', ') || '—' },
            ]}
          />
        </article>
      ))}
    </section>
  );
}

const valueText = (v: unknown) => (typeof v === 'number' ? formatNumber(v, { maximumFractionDigits: 2 }) : JSON.stringify(v));

/** Verifications (registry.read) and consents (consent.manage: state only) of every current member, in one table. */
function MemberChecks({ api, session, t, household }: PageProps & { household: Household }) {
  const canConsents = hasScope(session, 'consent.manage');
  const checks = useAsync(async () => {
    const members = household.members;
    const verifications = await Promise.all(members.map((m) => api.get<{ items: Verification[] }>(`/api/v1/persons/${m.person_id}/verifications?limit=5`, opts)));
    const consents = canConsents
      ? await Promise.all(members.map((m) => api.get<{ items: Consent[] }>(`/api/v1/consent/consents?person_id=${m.person_id}&limit=20`, opts)))
      : null;
    return members.map((m, i) => ({ member: m, latest: verifications[i].items[0], consents: consents?.[i].items ?? null }));
  }, [household.id]);
  return (
    <section aria-labelledby="checks-title">
      <h2 id="checks-title">{t('hh.checks')}</h2>
      <ErrorNotice error={checks.error} />
      {checks.loading && <Loading label={t('loading')} />}
      {!canConsents && <p class="muted">{t('hh.consents_hidden')}</p>}
      {checks.data && (
        <Table
          testId="household-checks" rows={checks.data} caption={t('hh.checks_caption')}
          columns={[
            { label: t('reg.name'), value: (c) => fullName(c.member.person) },
            { label: t('hh.verification'), value: (c) => (c.latest ? `${codeLabel(t, 'verification', c.latest.result)} (${c.latest.method}, ${formatDate(c.latest.verified_at)})` : t('hh.not_verified')) },
            ...(canConsents
              ? [{ label: t('hh.consents'), value: (c: (typeof checks.data)[number]) => (c.consents!.length === 0 ? t('hh.no_consents') : c.consents!.map((x) => `${x.agreement_code}: ${codeLabel(t, 'consent', x.state)}${x.in_force ? '' : ` (${t('hh.not_in_force')})`}`).join('; ')) }]
              : []),
          ]}
        />
      )}
    </section>
  );
}

function ParticipationSection({ api, t, id }: PageProps & { id: string }) {
  const programs = useAsync(() => api.get<{ items: Participation[] }>(`/api/v1/households/${id}/programs`, opts), [id]);
  return (
    <section aria-labelledby="participation-title">
      <h2 id="participation-title">{t('hh.participation')}</h2>
      <ErrorNotice error={programs.error} />
      {programs.data && (
        <Table
          rows={programs.data.items} empty={t('hh.no_participation')}
          columns={[
            { label: t('hh.program'), value: (p) => p.program_code },
            { label: t('reg.status'), value: (p) => p.status },
            { label: t('hh.since'), value: (p) => formatDate(p.status_changed_at) },
          ]}
        />
      )}
    </section>
  );
}

/** A record's versions, newest first: who changed which fields when (values of sealed fields are not shown here). */
export function HistorySection({ api, t, path, purpose }: PageProps & { path: string; purpose: string }) {
  const history = useAsync(() => api.get<{ items: HistoryItem[] }>(path, { purpose }), [path]);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{t('hh.history')}</h2>
      <ErrorNotice error={history.error} />
      {history.data && (
        <details>
          <summary data-testid="history-toggle">{t('hh.history_versions', { n: history.data.items.length })}</summary>
          <Table
            testId="history" rows={history.data.items}
            columns={[
              { label: t('hh.version'), value: (v) => v.version, numeric: true },
              { label: t('hh.when'), value: (v) => formatDateTime(v.changed_at) },
              { label: t('hh.who'), value: (v) => v.changed_by },
              { label: t('hh.channel'), value: (v) => codeLabel(t, 'channel', v.channel) },
              { label: t('hh.fields'), value: (v) => Object.keys(v.changes).join(', ') },
            ]}
          />
        </details>
      )}
    </section>
  );
}
