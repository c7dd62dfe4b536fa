// Candidate duplicate pairs (GET /api/v1/dedup/pairs), highest score first: the two people side by side, the score
// and what each field added to it (GET /api/v1/dedup/weights), then merge (keeping one of the two) or mark distinct.
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatNumber } from '../../shared/i18n.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, useAction } from './kit.js';

const PURPOSE = 'duplicate review';
const PERSON_FIELDS = ['given_name', 'family_name', 'other_names', 'sex', 'birth_date', 'area_code'] as const;

type Weights = { thresholds: { match: number; possible_match: number }; weights: Record<string, Record<string, number>> };

export function DuplicatesPage({ api, t, route }: PageProps) {
  const status = route.query.get('status') ?? 'open';
  const pairs = useAsync(() => api.get(`/api/v1/dedup/pairs?status=${status}&limit=50`, { purpose: PURPOSE }), [status]);
  const weights = useAsync<Weights>(() => api.get('/api/v1/dedup/weights'), []);
  return (
    <>
      <h1>{t('dup.title')}</h1>
      <p>{t('dup.intro')}</p>
      <Field id="dup-status" label={t('ops.status')}>
        <select id="dup-status" class="compact" value={status} onChange={(e) => (location.hash = `#/duplicates?status=${(e.target as HTMLSelectElement).value}`)}>
          {['open', 'merged', 'distinct'].map((s) => <option value={s}>{t(`dup.status.${s}`)}</option>)}
        </select>
      </Field>
      <ErrorNotice error={pairs.error ?? weights.error} />
      {pairs.loading && !pairs.data ? <Loading label={t('loading')} /> : pairs.data && (
        pairs.data.items.length === 0 ? <p class="empty">{t('dup.empty')}</p>
          : pairs.data.items.map((pair: any) => <PairCard key={pair.id} pair={pair} weights={weights.data} api={api} t={t} onDone={pairs.reload} />)
      )}
    </>
  );
}

function PairCard({ pair, weights, api, t, onDone }: { pair: any; weights?: Weights; api: PageProps['api']; t: PageProps['t']; onDone: () => void }) {
  const action = useAction();
  const [reason, setReason] = useState('');
  const [a, b] = pair.persons;
  const merge = async (survivor: string) => {
    const done = await action.run(() => api.post(`/api/v1/dedup/pairs/${pair.id}/merge`, { survivor_id: survivor, ...(reason ? { reason } : {}) }, { purpose: PURPOSE }));
    if (done) onDone();
  };
  const distinct = async () => {
    const done = await action.run(() => api.post(`/api/v1/dedup/pairs/${pair.id}/distinct`, reason ? { reason } : {}, { purpose: PURPOSE }));
    if (done) onDone();
  };
  const name = (p: any) => [p.given_name, p.family_name].filter(Boolean).join(' ') || p.id.slice(0, 8);
  return (
    <article class="card pair" data-testid="pair-card" data-pair-id={pair.id} aria-labelledby={`pair-${pair.id}`}>
      <h2 id={`pair-${pair.id}`}>
        {name(a)} / {name(b)} <Badge kind={pair.decision === 'match' ? 'bad' : 'warn'}>{t(`dup.decision.${pair.decision}`)}</Badge>{' '}
        <span data-testid="pair-score">{t('dup.score', { score: formatNumber(pair.score, { maximumFractionDigits: 1 }) })}</span>
      </h2>
      <div class="table-wrap">
        <table class="side-by-side">
          <thead><tr><th scope="col">{t('dup.field')}</th><th scope="col">A</th><th scope="col">B</th></tr></thead>
          <tbody>
            {PERSON_FIELDS.map((f) => (
              <tr class={a[f] !== b[f] ? 'differs' : ''}><th scope="row">{t(`ops.person.${f}`)}</th><td>{a[f] ?? '—'}</td><td>{b[f] ?? '—'}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <ScoreParts reasons={pair.reasons} weights={weights} score={pair.score} t={t} />
      {pair.status === 'open' ? (
        <>
          <Field id={`reason-${pair.id}`} label={t('dup.reason')}>
            <input id={`reason-${pair.id}`} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </Field>
          <ErrorNotice error={action.error} />
          <div class="actions">
            <Button onClick={() => merge(a.id)} disabled={action.busy} data-testid="merge-keep-a">{t('dup.keep', { name: `A (${name(a)})` })}</Button>
            <Button onClick={() => merge(b.id)} disabled={action.busy} data-testid="merge-keep-b">{t('dup.keep', { name: `B (${name(b)})` })}</Button>
            <Button variant="secondary" onClick={distinct} disabled={action.busy} data-testid="mark-distinct">{t('dup.distinct')}</Button>
          </div>
        </>
      ) : (
        <Notice>{t(`dup.status.${pair.status}`)}{pair.decided_by ? ` · ${pair.decided_by}` : ''}{pair.decision_reason ? ` · ${pair.decision_reason}` : ''}</Notice>
      )}
    </article>
  );
}

/** Each reason (`name:close`) with its points under the weights in force. */
function ScoreParts({ reasons, weights, score, t }: { reasons: string[]; weights?: Weights; score: number; t: PageProps['t'] }) {
  const parts = reasons.map((reason) => {
    const [field, level] = reason.split(':');
    const points = weights?.weights[field.startsWith('identifier.') ? 'identifier' : field]?.[level];
    return { reason, field, level, points };
  });
  const sum = parts.reduce((s, p) => s + (p.points ?? 0), 0);
  // the parts are rounded to hundredths: a difference beyond that means the settings changed since the pair was scored
  const rescored = Math.abs(sum - score) > 0.05;
  return (
    <div class="table-wrap">
      <table data-testid="score-parts">
        <caption>{t('dup.parts')}</caption>
        <thead><tr><th scope="col">{t('dup.field')}</th><th scope="col">{t('dup.level')}</th><th scope="col" class="num">{t('dup.points')}</th></tr></thead>
        <tbody>
          {parts.map((p) => (
            <tr><td>{p.field}</td><td>{p.level}</td><td class="num">{p.points === undefined ? '—' : `${p.points > 0 ? '+' : ''}${formatNumber(p.points, { maximumFractionDigits: 1 })}`}</td></tr>
          ))}
        </tbody>
        <tfoot><tr><th scope="row" colSpan={2}>{t('dup.total')}</th><td class="num">{rescored ? `${formatNumber(sum, { maximumFractionDigits: 1 })} (${t('dup.rescored')})` : formatNumber(score, { maximumFractionDigits: 1 })}</td></tr></tfoot>
      </table>
    </div>
  );
}
