// Registry search (#/registry): people by name, identifier, birth date or area, and the households of an area. The API
// limits both to the user's areas; every read is an audited access with the purpose sent in X-Purpose.
import './insight.css';
import { useState } from 'preact/hooks';
import { formatDate } from '../../shared/i18n.js';
import { href } from '../../shared/router.js';
import { Button, ErrorNotice, Field, Loading, Table, useAsync } from '../../shared/ui.js';
import type { PageProps } from '../context.js';

export const PURPOSE_SEARCH = 'Staff console: registry search';

export interface Person {
  id: string;
  given_name: string | null;
  family_name: string | null;
  other_names?: string | null;
  sex: string | null;
  birth_date: string | null;
  birth_date_estimated?: boolean;
  death_date?: string | null;
  phone?: string | null;
  email?: string | null;
  identifiers?: { type: string; value: string }[];
  disabilities?: string[];
  household: { household_id: string; relationship: string; start_date: string } | null;
  channel: string;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface HouseholdSummary {
  id: string;
  address: string | null;
  area_code: string;
  household_type: string | null;
  size: number;
  head_person_id: string | null;
  deregistered_at: string | null;
  created_at: string;
}

interface Area { code: string; name: string; level: number }

/** A coded value's label (`relationship.SELF`), or the code itself when the dictionaries have none. */
export function codeLabel(t: PageProps['t'], prefix: string, code: string | null | undefined): string {
  if (!code) return '—';
  const key = `${prefix}.${code}`;
  const label = t(key);
  return label === key ? code : label;
}

export const fullName = (p: Pick<Person, 'given_name' | 'family_name'>) => [p.given_name, p.family_name].filter(Boolean).join(' ') || '—';

export function RegistryPage(props: PageProps) {
  const { t } = props;
  return (
    <>
      <h1>{t('reg.title')}</h1>
      <PersonSearch {...props} />
      <AreaHouseholds {...props} />
    </>
  );
}

function PersonSearch({ api, t }: PageProps) {
  const [query, setQuery] = useState<Record<string, string>>({ given_name: '', family_name: '', identifier_type: 'UIN', identifier_value: '', birth_date: '' });
  const [result, setResult] = useState<{ items: Person[]; next_cursor: string | null }>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const field = (name: string) => ({
    id: `search-${name}`,
    name,
    value: query[name],
    onInput: (e: Event) => setQuery((q) => ({ ...q, [name]: (e.target as HTMLInputElement).value })),
  });
  const search = async (event: Event, cursor?: string) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const key of ['given_name', 'family_name', 'birth_date']) if (query[key].trim()) params.set(key, query[key].trim());
    if (query.identifier_value.trim()) {
      params.set('identifier_type', query.identifier_type.trim().toUpperCase());
      params.set('identifier_value', query.identifier_value.trim());
    }
    params.set('limit', '25');
    if (cursor) params.set('cursor', cursor);
    setBusy(true);
    setError(undefined);
    try {
      const page = await api.get<{ items: Person[]; next_cursor: string | null }>(`/api/v1/persons?${params}`, { purpose: PURPOSE_SEARCH });
      setResult((previous) => (cursor && previous ? { items: [...previous.items, ...page.items], next_cursor: page.next_cursor } : page));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="search-title">
      <h2 id="search-title">{t('reg.search.title')}</h2>
      <form onSubmit={(e) => search(e)} class="search-form" role="search" aria-labelledby="search-title">
        <div class="form-grid">
          <Field id="search-given_name" label={t('reg.given_name')}><input {...field('given_name')} autocomplete="off" /></Field>
          <Field id="search-family_name" label={t('reg.family_name')}><input {...field('family_name')} autocomplete="off" /></Field>
          <Field id="search-birth_date" label={t('reg.birth_date')}><input type="date" {...field('birth_date')} /></Field>
          <Field id="search-identifier_type" label={t('reg.identifier_type')}><input {...field('identifier_type')} autocomplete="off" /></Field>
          <Field id="search-identifier_value" label={t('reg.identifier_value')}><input {...field('identifier_value')} autocomplete="off" /></Field>
        </div>
        <Button type="submit" disabled={busy} data-testid="search-submit">{t('reg.search.submit')}</Button>
      </form>
      <ErrorNotice error={error} />
      {result && (
        <div aria-live="polite">
          <Table
            caption={t('reg.search.results', { n: result.items.length })} testId="search-results" rows={result.items} empty={t('reg.search.none')}
            columns={[
              { label: t('reg.name'), value: (p) => <a href={href(`/persons/${p.id}`)}>{fullName(p)}</a> },
              { label: t('reg.sex'), value: (p) => codeLabel(t, 'sex', p.sex) },
              { label: t('reg.birth_date'), value: (p) => (p.birth_date ? formatDate(p.birth_date) : '—') },
              { label: t('reg.household'), value: (p) => (p.household ? <a href={href(`/households/${p.household.household_id}`)} data-testid="search-household-link">{codeLabel(t, 'relationship', p.household.relationship)}</a> : t('reg.no_household')) },
            ]}
          />
          {result.next_cursor && <Button variant="secondary" disabled={busy} onClick={(e: Event) => search(e, result.next_cursor!)}>{t('reg.more')}</Button>}
        </div>
      )}
    </section>
  );
}

function AreaHouseholds({ api, session, t }: PageProps) {
  const areas = useAsync(() => api.get<{ items: Area[] }>('/api/v1/admin-areas'), []);
  // a user limited to areas sees those and what is under them (the API answers only those households anyway)
  const visible = (areas.data?.items ?? []).filter((a) => !session.areas || session.areas.some((g) => a.code === g || a.code.startsWith(`${g}-`)));
  const [area, setArea] = useState('');
  const [pages, setPages] = useState<string[]>(['']);
  const list = useAsync(async () => {
    const items: HouseholdSummary[] = [];
    let next: string | null = null;
    for (const cursor of pages) {
      const params = new URLSearchParams({ limit: '25' });
      if (area) params.set('area_code', area);
      if (cursor) params.set('cursor', cursor);
      const page: { items: HouseholdSummary[]; next_cursor: string | null } = await api.get(`/api/v1/households?${params}`, { purpose: PURPOSE_SEARCH });
      items.push(...page.items);
      next = page.next_cursor;
    }
    return { items, next };
  }, [area, pages.join(',')]);
  return (
    <section aria-labelledby="households-title">
      <h2 id="households-title">{t('reg.households.title')}</h2>
      <label class="inline-field">{t('reg.households.area')}{' '}
        <select data-testid="households-area" value={area} onChange={(e) => (setArea((e.target as HTMLSelectElement).value), setPages(['']))}>
          <option value="">{t('reg.households.all')}</option>
          {visible.map((a) => <option value={a.code}>{`${'  '.repeat(a.level)}${a.name} (${a.code})`}</option>)}
        </select>
      </label>
      <ErrorNotice error={list.error ?? areas.error} />
      {list.loading && <Loading label={t('loading')} />}
      {list.data && (
        <>
          <Table
            caption={t('reg.households.caption', { n: list.data.items.length })} testId="households-list" rows={list.data.items} empty={t('reg.households.none')}
            columns={[
              { label: t('reg.address'), value: (h) => <a href={href(`/households/${h.id}`)}>{h.address ?? t('reg.no_address')}</a> },
              { label: t('dash.area'), value: (h) => <span data-testid="household-area">{h.area_code}</span> },
              { label: t('reg.size'), value: (h) => h.size, numeric: true },
              { label: t('reg.status'), value: (h) => (h.deregistered_at ? t('reg.deregistered') : t('reg.active')) },
            ]}
          />
          {list.data.next && <Button variant="secondary" onClick={() => setPages((p) => [...p, list.data!.next!])}>{t('reg.more')}</Button>}
        </>
      )}
    </section>
  );
}
