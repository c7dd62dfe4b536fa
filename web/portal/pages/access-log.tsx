// Who looked at my data and why: the audit log's entries about the person (their own reads left out), in words.
import { useState } from 'preact/hooks';
import { formatDateTime } from '../../shared/i18n.js';
import { ErrorNotice, Loading, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';
import { t } from '../i18n/index.js';

interface Entry { at: string; actor: string; actor_kind: string; action: string; entity: string; entity_id: string | null; fields: string[] | null; purpose: string | null; outcome: string }

const PAGE = 20;

/** The reader's words for who acted: staff, a partner system, a connected service, or the registry itself. */
export function actorText(actor: string): string {
  const [kind, ...rest] = actor.split(':');
  const name = rest.join(':');
  if (kind === 'user') return t('actor.staff', { name });
  if (kind === 'oidc') return t('actor.staff', { name: rest.at(-1) ?? name });
  if (kind === 'client') return t('actor.client', { name });
  if (kind === 'connector') return t('actor.connector', { name: t(`connector.${name}`) === `connector.${name}` ? name : t(`connector.${name}`) });
  if (kind === 'person' || kind === 'applicant') return t('actor.you');
  return t('actor.registry');
}

const known = (prefix: string, key: string) => (t(`${prefix}.${key}`) === `${prefix}.${key}` ? t(`${prefix}.other`, { name: key }) : t(`${prefix}.${key}`));

export function AccessLogPage({ api }: PageProps) {
  const [pages, setPages] = useState<string[]>(['']);
  const data = useAsync(async () => {
    const all: Entry[] = [];
    let next: string | null = null;
    for (const cursor of pages) {
      const page: { items: Entry[]; next_cursor: string | null } = await api.get(`/api/v1/me/access-log?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...page.items);
      next = page.next_cursor;
    }
    return { entries: all, next };
  }, [pages.length]);

  if (data.loading && !data.data) return <Loading label={t('loading')} />;
  if (data.error) return <ErrorNotice error={data.error} />;
  const { entries, next } = data.data!;
  return (
    <>
      <h1>{t('access.title')}</h1>
      <p class="lead">{t('access.intro')}</p>
      {entries.length === 0 && <p class="muted">{t('access.none')}</p>}
      <ol class="access-list" data-testid="access-log">
        {entries.map((e) => (
          <li class="portal-card" data-testid="access-entry">
            <p class="muted">{formatDateTime(e.at)}</p>
            <p>
              <strong>{actorText(e.actor)}</strong> {known('action', e.action)} {known('entity', e.entity)}
              {e.outcome !== 'success' && <span class="tag state-withdrawn">{t(`outcome.${e.outcome}`)}</span>}
            </p>
            {e.fields && e.fields.length > 0 && <p>{t('access.fields', { fields: e.fields.map((f) => known('field', f)).join(', ') })}</p>}
            <p data-testid="access-purpose">{e.purpose ? t('access.purpose', { purpose: e.purpose }) : t('access.no_purpose')}</p>
          </li>
        ))}
      </ol>
      {next && <button type="button" class="btn btn-secondary btn-wide" onClick={() => setPages([...pages, next])}>{t('access.more')}</button>}
    </>
  );
}
