// The requests a person made (corrections) and where they are in the workflow.
import { formatDateTime } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { ErrorNotice, Loading, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';

export interface MyCase { id: string; reference: string; kind: 'registration' | 'change'; change_kind: string | null; status: string; created_at: string; updated_at: string }

export function CaseList(props: { cases: MyCase[]; empty: string }) {
  if (props.cases.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <ul class="case-list" data-testid="cases">
      {props.cases.map((c) => (
        <li class="portal-card" data-testid="case" data-case-id={c.id} data-status={c.status}>
          <p><strong>{t(c.kind === 'registration' ? 'case.registration' : `case.${c.change_kind}`)}</strong> <span class="muted">{t('case.reference', { reference: c.reference })}</span></p>
          <p><span class={`tag status-${c.status}`}>{t(`status.${c.status}`)}</span> {t(`status_help.${c.status}`)}</p>
          <p class="muted">{t('case.sent', { when: formatDateTime(c.created_at) })}</p>
        </li>
      ))}
    </ul>
  );
}

export function RequestsPage({ api }: PageProps) {
  const data = useAsync(() => api.get<{ items: MyCase[] }>('/api/v1/me/change-requests'), []);
  if (data.loading && !data.data) return <Loading label={t('loading')} />;
  if (data.error) return <ErrorNotice error={data.error} />;
  return (
    <>
      <h1>{t('requests.title')}</h1>
      <CaseList cases={data.data!.items} empty={t('requests.none')} />
      <p><a class="btn btn-primary btn-wide" href={href('/correct')}>{t('household.ask_correction')}</a></p>
    </>
  );
}
