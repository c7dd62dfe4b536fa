// The review queue (GET /api/v1/reviews): cases waiting for an officer, oldest first, with their reasons; a case
// opens with its data, check results and history, to approve, reject or comment on.
import { useState } from 'preact/hooks';
import type { PageProps } from '../context.js';
import { formatDateTime } from '../../shared/i18n.js';
import { href, navigate } from '../../shared/router.js';
import { Button, ErrorNotice, Field, Loading, Notice, useAsync } from '../../shared/ui.js';
import { Badge, fieldError, listOf, useAction } from './kit.js';

const PURPOSE = 'registration review';

export function ReviewsPage(props: PageProps) {
  const id = props.route.parts[1];
  return id ? <ReviewCase {...props} id={id} /> : <ReviewQueue {...props} />;
}

function ReviewQueue({ api, t, route }: PageProps) {
  const reason = route.query.get('reason') ?? '';
  const kind = route.query.get('kind') ?? '';
  const query = new URLSearchParams({ limit: '100', ...(reason ? { reason } : {}), ...(kind ? { kind } : {}) });
  const queue = useAsync(() => api.get(`/api/v1/reviews?${query}`), [query.toString()]);
  const filter = (name: string, value: string) => {
    const next = new URLSearchParams(route.query);
    if (value) next.set(name, value);
    else next.delete(name);
    navigate(`/reviews${next.toString() ? `?${next}` : ''}`);
  };
  return (
    <>
      <h1>{t('reviews.title')}</h1>
      <p>{t('reviews.intro')}</p>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field id="review-kind" label={t('reviews.kind')}>
          <select id="review-kind" class="compact" value={kind} onChange={(e) => filter('kind', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('ops.all')}</option>
            <option value="registration">{t('reviews.kind.registration')}</option>
            <option value="change">{t('reviews.kind.change')}</option>
          </select>
        </Field>
        <Field id="review-reason" label={t('reviews.reason')}>
          <input id="review-reason" value={reason} placeholder="possible_duplicate" onChange={(e) => filter('reason', (e.target as HTMLInputElement).value.trim())} />
        </Field>
      </form>
      <ErrorNotice error={queue.error} />
      {queue.loading && !queue.data ? <Loading label={t('loading')} /> : queue.data && (
        queue.data.items.length === 0 ? <p class="empty">{t('reviews.empty')}</p> : (
          <div class="table-wrap">
            <table data-testid="review-queue">
              <caption>{t('reviews.caption', { count: queue.data.items.length })}</caption>
              <thead><tr>
                <th scope="col">{t('reviews.submitted')}</th><th scope="col">{t('reviews.kind')}</th><th scope="col">{t('ops.area')}</th>
                <th scope="col">{t('reviews.channel')}</th><th scope="col">{t('reviews.reasons')}</th><th scope="col">{t('reviews.assigned')}</th><th scope="col"><span class="visually-hidden">{t('ops.open')}</span></th>
              </tr></thead>
              <tbody>
                {queue.data.items.map((c: any) => (
                  <tr data-testid="review-row" data-case-id={c.id}>
                    <td>{formatDateTime(c.created_at)}</td>
                    <td>{t(`reviews.kind.${c.kind}`)}{c.change_kind ? ` (${c.change_kind})` : ''}</td>
                    <td>{c.area_code}</td>
                    <td>{c.channel}</td>
                    <td>{c.reasons.map((r: string) => <Badge kind="warn">{r}</Badge>)}{c.by_proxy && <Badge>{t('reviews.by_proxy')}</Badge>}{c.assisted && <Badge>{t('reviews.assisted')}</Badge>}</td>
                    <td>{c.assigned_to ?? '—'}</td>
                    <td><a href={href(`/reviews/${c.id}`)} data-testid="review-open">{t('ops.open')}</a></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </>
  );
}

function ReviewCase({ api, t, id }: PageProps & { id: string }) {
  const detail = useAsync(() => api.get(`/api/v1/reviews/${id}`, { purpose: PURPOSE }), [id]);
  const action = useAction();
  const [comment, setComment] = useState('');
  const [rejectReasons, setRejectReasons] = useState('');
  const c = detail.data;

  const approve = async () => {
    const done = await action.run(async () => {
      const ifMatch = c.reasons.includes('conflict') ? await recordVersion() : undefined;
      return api.post(`/api/v1/reviews/${id}/approve`, comment ? { comment } : {}, { purpose: PURPOSE, ifMatch });
    }, t('reviews.approved'));
    if (done) detail.reload();
  };
  // a change held for a conflict is approved against the version of the record the officer sees now
  const recordVersion = async () => {
    const path = c.person_id && c.change_kind === 'update_person' ? `/api/v1/persons/${c.person_id}` : `/api/v1/households/${c.household_id}`;
    return (await api.get(path, { purpose: PURPOSE })).version as number;
  };
  const reject = async () => {
    const reasons = listOf(rejectReasons) ?? (c.reasons.length ? c.reasons : ['rejected_by_officer']);
    const done = await action.run(() => api.post(`/api/v1/reviews/${id}/reject`, { reasons, ...(comment ? { comment } : {}) }, { purpose: PURPOSE }), t('reviews.rejected'));
    if (done) detail.reload();
  };
  const addComment = async () => {
    const done = await action.run(() => api.post(`/api/v1/reviews/${id}/comments`, { comment }), t('reviews.commented'));
    if (done) (setComment(''), detail.reload());
  };

  if (detail.loading && !c) return <Loading label={t('loading')} />;
  if (!c) return <><p><a href={href('/reviews')}>{t('reviews.back')}</a></p><ErrorNotice error={detail.error} /></>;
  const open = c.status === 'needs_review' || c.status === 'verified';
  return (
    <>
      <p><a href={href('/reviews')}>{t('reviews.back')}</a></p>
      <h1>{t('reviews.case_title', { kind: t(`reviews.kind.${c.kind}`), area: c.area_code })}</h1>
      <p>
        <span data-testid="case-status">{t(`ops.status.${c.status}`)}</span> · {t('reviews.channel')}: {c.channel} · {t('reviews.submitted_by')}: {c.submitted_by} · {formatDateTime(c.created_at)}
      </p>
      <p>{c.reasons.map((r: string) => <Badge kind="warn">{r}</Badge>)}</p>
      {action.message && <Notice kind="success">{action.message}</Notice>}
      <ErrorNotice error={action.error} />
      <div class="grid-2">
        <section>
          <h2>{t('reviews.data')}</h2>
          {c.kind === 'registration' ? <HouseholdView household={c.data?.household} t={t} /> : <pre class="json">{JSON.stringify(c.data, null, 2)}</pre>}
          {c.data?.proxy && <p>{t('reviews.proxy')}: {c.data.proxy.name} ({c.data.proxy.relationship})</p>}
        </section>
        <section>
          <h2>{t('reviews.checks')}</h2>
          <ul class="plain">
            {c.checks.map((check: any) => (
              <li><Badge kind={check.outcome === 'passed' ? 'ok' : check.outcome === 'failed' ? 'bad' : check.outcome === 'skipped' ? 'info' : 'warn'}>{check.outcome}</Badge> {check.check}{check.reason ? `: ${check.reason}` : ''}
                {check.details?.candidates && <span> ({check.details.candidates.length} {t('reviews.candidates')})</span>}</li>
            ))}
          </ul>
        </section>
      </div>
      {open && (
        <section aria-labelledby="decide">
          <h2 id="decide">{t('reviews.decide')}</h2>
          <Field id="review-comment" label={t('reviews.comment')} error={fieldError(action.error, 'body.comment')}>
            <textarea id="review-comment" rows={3} value={comment} onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)} />
          </Field>
          <Field id="reject-reasons" label={t('reviews.reject_reasons')} hint={t('reviews.reject_reasons_hint')} error={fieldError(action.error, 'body.reasons')}>
            <input id="reject-reasons" value={rejectReasons} placeholder={c.reasons.join(', ')} onInput={(e) => setRejectReasons((e.target as HTMLInputElement).value)} />
          </Field>
          <div class="actions">
            <Button onClick={approve} disabled={action.busy} data-testid="review-approve">{t('reviews.approve')}</Button>
            <Button variant="danger" onClick={reject} disabled={action.busy} data-testid="review-reject">{t('reviews.reject')}</Button>
            <Button variant="secondary" onClick={addComment} disabled={action.busy || !comment.trim()}>{t('reviews.add_comment')}</Button>
          </div>
        </section>
      )}
      <h2>{t('reviews.history')}</h2>
      <ol class="history">
        {(c.history ?? []).map((h: any) => (
          <li>{formatDateTime(h.at)} · {h.actor} · {h.action}{h.to_status ? ` → ${t(`ops.status.${h.to_status}`)}` : ''}{h.reasons?.length ? ` (${h.reasons.join(', ')})` : ''}
            {h.comment && <blockquote>{h.comment}</blockquote>}</li>
        ))}
      </ol>
    </>
  );
}

function HouseholdView({ household, t }: { household: any; t: PageProps['t'] }) {
  if (!household) return <p class="empty">—</p>;
  return (
    <>
      <dl class="facts">
        <dt>{t('ops.area')}</dt><dd>{household.area_code}</dd>
        {household.address && <><dt>{t('reviews.address')}</dt><dd>{household.address}</dd></>}
      </dl>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">{t('reviews.relationship')}</th><th scope="col">{t('ops.person.name')}</th><th scope="col">{t('ops.person.sex')}</th><th scope="col">{t('ops.person.birth_date')}</th><th scope="col">{t('ops.person.identifiers')}</th></tr></thead>
          <tbody>
            {(household.members ?? []).map((m: any) => (
              <tr>
                <td>{m.relationship}</td>
                <td>{[m.person?.given_name, m.person?.family_name].filter(Boolean).join(' ')}</td>
                <td>{m.person?.sex ?? '—'}</td>
                <td>{m.person?.birth_date ?? '—'}{m.person?.birth_date_estimated ? ` (${t('ops.person.estimated')})` : ''}</td>
                <td>{(m.person?.identifiers ?? []).map((i: any) => i.type).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
