// The households of the worker's areas on the device (from the bootstrap and pulls), to find one and update it.
import { useState } from 'preact/hooks';
import { formatNumber } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Loading, useAsync } from '../../shared/ui.js';
import { t } from '../i18n/index.js';
import { answersOf, summaryOf } from '../record.js';
import { useAppState } from '../state.js';
import { store } from '../store.js';

export function HouseholdsPage() {
  const state = useAppState();
  const [query, setQuery] = useState('');
  const data = useAsync(async () => {
    const [households, queue] = await Promise.all([store.households(), store.queue()]);
    const pending = new Set(queue.map((q) => q.item.household_id).filter(Boolean));
    return households.map((h) => ({ h, summary: summaryOf(answersOf(h), h), pending: pending.has(h.id) })).sort((a, b) => a.summary.localeCompare(b.summary));
  }, [state.revision]);
  if (!data.data) return <Loading label={t('loading')} />;
  const q = query.trim().toLowerCase();
  const rows = data.data.filter((r) => !q || r.summary.toLowerCase().includes(q) || (r.h.address ?? '').toLowerCase().includes(q));
  return (
    <>
      <h1>{t('households.title')}</h1>
      <p>{t('households.intro', { n: formatNumber(data.data.length) })}</p>
      <div class="field">
        <label for="household-search">{t('households.search')}</label>
        <input id="household-search" type="search" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      </div>
      {rows.length === 0 ? <p class="empty">{t('households.empty')}</p> : (
        <ul class="items" data-testid="households">
          {rows.slice(0, 200).map(({ h, summary, pending }) => (
            <li class="item" data-testid="household-item">
              <a href={href(`/households/${h.id}`)}><strong>{summary}</strong></a>
              {pending && <> <span class="badge badge-queued">{t('households.pending')}</span></>}
              <div class="meta">{[h.address, t('households.members', { n: h.members.length }), t('collect.version', { v: h.version })].filter(Boolean).join(' · ')}</div>
            </li>
          ))}
        </ul>
      )}
      {rows.length > 200 && <p class="meta">{t('households.more', { n: rows.length - 200 })}</p>}
    </>
  );
}
