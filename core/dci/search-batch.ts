// A search message, item by item: each search_request item is checked, searched and answered on its own, so a bad
// item gets its rjct.* code and the others still get their records. Only disclosable records are counted and shown:
// the search sees the caller's areas and the consent that covers (purpose, recipient), and each record keeps only
// the data categories the disclosure decision allows.
import { coveringConsentCondition, decideDisclosure, publishedAgreements } from '../../consent/policy.js';
import type { Ctx } from '../server/context.js';
import { loadRecords, personIdsOf } from './records.js';
import { runSearch, type SearchCriteria } from './query/search.js';
import { DCI_VERSION, newId, now, REG_TYPE } from './envelope.js';
import { dciSchemas, describeErrors, failingPaths } from './schemas.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Item = Record<string, any>;

export interface SearchResponseItem {
  reference_id: string;
  timestamp: string;
  status: 'succ' | 'rjct';
  status_reason_code?: string;
  status_reason_message?: string;
  data?: { version: string; reg_type: string; reg_record_type: string; reg_records: object[] };
  pagination?: { page_size: number; page_number: number; total_count: number };
  locale?: string;
}

/** The SearchResponse message for a SearchRequest message (already decrypted and checked as a batch). */
export async function searchBatch(ctx: Ctx, request: { transaction_id: string; search_request: Item[] }, correlationId: string = newId()) {
  const seen = new Set<string>();
  const search_response: SearchResponseItem[] = [];
  for (const item of request.search_request) {
    search_response.push(await searchItem(ctx, item, seen));
  }
  return { transaction_id: request.transaction_id, correlation_id: correlationId, search_response };
}

async function searchItem(ctx: Ctx, item: Item, seen: Set<string>): Promise<SearchResponseItem> {
  const reference_id = typeof item.reference_id === 'string' && item.reference_id ? item.reference_id : 'unknown';
  const reject = (code: string, message: string): SearchResponseItem => ({
    reference_id,
    timestamp: now(),
    status: 'rjct',
    status_reason_code: code,
    status_reason_message: message.slice(0, 999),
  });
  const schemas = await dciSchemas();
  // the query itself is the engine's to judge (it knows rjct.filter.invalid from rjct.search_criteria.invalid)
  if (!schemas.searchItem(item)) {
    const errors = schemas.searchItem.errors?.filter((e) => !/^\/search_criteria\/query(\/|$)/.test(e.instancePath));
    if (errors?.some((e) => !['if', 'anyOf', 'allOf', 'oneOf'].includes(e.keyword))) return reject(itemRejectCode(failingPaths(errors)), describeErrors(errors));
  }
  if (seen.has(reference_id)) return reject('rjct.reference_id.duplicate', `reference_id ${reference_id} appears twice in this message.`);
  seen.add(reference_id);

  const criteria = item.search_criteria as SearchCriteria;
  const request = disclosureOf(ctx, criteria);
  // read once for this item: the search's SQL condition and the decision on the rows found rely on the same agreements
  const disclosure = { ...request, agreements: await publishedAgreements(ctx, request) };
  const outcome = await runSearch(
    ctx.db,
    criteria,
    {
      areas: ctx.principal.areas,
      personCondition: (param, column) => coveringConsentCondition(ctx, disclosure, column, param),
    },
    ctx.config,
    ctx.secrets,
  );
  if (!outcome.ok) return reject(outcome.code, outcome.message);
  const personIds = await personIdsOf(ctx.db, outcome.entity, outcome.ids);
  const decisions = await decideDisclosure(ctx, { ...disclosure, personIds });
  const records = await loadRecords(ctx, outcome.entity, outcome.ids, (personId) => {
    const decision = decisions.get(personId);
    return decision?.allowed ? decision.categories : undefined;
  });
  return {
    reference_id,
    timestamp: now(),
    status: 'succ',
    data: { version: DCI_VERSION, reg_type: REG_TYPE, reg_record_type: outcome.entity, reg_records: records },
    pagination: outcome.pagination,
    locale: localeOf(item.locale),
  };
}

/** Why and for whom: purpose from consent / authorize (purpose.code) or the X-Purpose header; the caller receives. */
export function disclosureOf(ctx: Ctx, criteria: { consent?: unknown; authorize?: unknown }) {
  const consent = criteria.consent as { purpose?: { code?: unknown }; token?: unknown } | undefined;
  const authorize = criteria.authorize as { purpose?: { code?: unknown } } | undefined;
  const code = [consent?.purpose?.code, authorize?.purpose?.code].find((c) => typeof c === 'string' && c.length > 0) as string | undefined;
  const tokens = typeof consent?.token === 'string' ? [consent.token] : undefined;
  return { purpose: code ?? ctx.purpose, recipient: ctx.principal.id, ...(tokens ? { presentedTokens: tokens } : {}) };
}

/** The rjct.* code for the first failing field of an item. */
function itemRejectCode(paths: string[][]): string {
  const [first = []] = paths;
  if (first[0] === 'reference_id') return 'rjct.reference_id.invalid';
  if (first[0] === 'timestamp') return 'rjct.timestamp.invalid';
  if (first[0] === 'search_criteria' && first[1] === 'sort') return 'rjct.sort.invalid';
  if (first[0] === 'search_criteria' && first[1] === 'pagination') return 'rjct.pagination.invalid';
  return 'rjct.search_criteria.invalid';
}

/** The answer's locale: ISO 639-3 as the standard asks (a two-letter code from the examples is mapped when known). */
export function localeOf(locale: unknown): string {
  if (typeof locale !== 'string') return 'eng';
  return locale.length === 3 ? locale : (TWO_TO_THREE[locale] ?? 'eng');
}

const TWO_TO_THREE: Record<string, string> = { en: 'eng', fr: 'fra', es: 'spa', pt: 'por', ar: 'ara', sw: 'swa', hy: 'hye', ru: 'rus' };
