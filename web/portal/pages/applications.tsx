// An applicant's registrations and where they are (submitted, in review, registered, not accepted).
import { href } from '../../shared/router.js';
import { ErrorNotice, Loading, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';
import { CaseList, type MyCase } from './requests.js';

export function ApplicationsPage({ api }: PageProps) {
  const data = useAsync(() => api.get<{ items: MyCase[] }>('/api/v1/portal/registrations'), []);
  if (data.loading && !data.data) return <Loading label={t('loading')} />;
  if (data.error) return <ErrorNotice error={data.error} />;
  return (
    <>
      <h1>{t('applications.title')}</h1>
      <p class="lead">{t('applications.intro')}</p>
      <CaseList cases={data.data!.items} empty={t('applications.none')} />
      <p><a href={href('/')}>{t('applications.new')}</a></p>
    </>
  );
}
