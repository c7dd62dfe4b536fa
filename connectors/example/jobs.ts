// The example's jobs as OpenFn operations (docs/connectors.md, "Jobs are OpenFn operations").
import { fn } from '../framework/openfn.js';
import type { HubOperations, Operation, State } from '../framework/types.js';

export interface PriceObservation {
  id: string; // ascending: the cursor
  market: string;
  commodity: string;
  price: number;
  observed_at: string;
}

const apiOf = (state: State) => ({
  baseUrl: String(state.configuration.baseUrl).replace(/\/+$/, ''),
  headers: { 'x-api-key': String(state.configuration.apiKey) },
  pageSize: Number(state.configuration.pageSize ?? 50),
});

/** Pages through /prices after the cursor, then applies each observation with the cursor in one transaction. */
export const pullPrices = (hub: HubOperations): Operation[] => [
  fn(async (state: State) => {
    if (state.rerun) return state; // a re-run gets its dead-lettered items; nothing to fetch
    const { baseUrl, headers, pageSize } = apiOf(state);
    let after = (await hub.checkpoint.get<string>('cursor')) ?? '';
    const items: PriceObservation[] = [];
    for (;;) {
      const res = await hub.http({ method: 'GET', url: `${baseUrl}/prices?after=${encodeURIComponent(after)}&limit=${pageSize}`, headers });
      if (res.status !== 200) throw new Error(`The price API answered ${res.status} to the price list.`);
      const page = res.body as { items: PriceObservation[]; next: boolean };
      items.push(...page.items);
      if (!page.next || page.items.length === 0) break;
      after = page.items[page.items.length - 1].id;
    }
    hub.log('price observations fetched', { count: items.length });
    return { ...state, data: items };
  }),
  hub.eachItem<PriceObservation>((state) => state.data, async (item, state) => {
    if (typeof item.price !== 'number' || !(item.price >= 0)) throw new Error(`observation ${item.id}: price is not a number`);
    await hub.transaction(async (tx) => {
      const cursor = (await hub.checkpoint.get<string>('cursor', tx)) ?? '';
      // applied already (a run that died after committing it): never twice. A re-run applies what was skipped.
      if (!state.rerun && item.id <= cursor) {
        hub.count('skipped');
        return;
      }
      await hub.checkpoint.set(tx, `price:${item.market}:${item.commodity}`, { price: item.price, observed_at: item.observed_at, id: item.id });
      if (item.id > cursor) await hub.checkpoint.set(tx, 'cursor', item.id);
    });
  }),
  fn(async (state: State) => {
    hub.result({ applied: (state.data as unknown[] | undefined)?.length ?? 0 });
    return state;
  }),
];

/** One POST per registered household; the event id as Idempotency-Key makes the retried POST safe. */
export const announce = (hub: HubOperations): Operation[] => [
  hub.eachItem<{ area_code?: string; event: { id: string; aggregateId: string } }>((state) => state.data, async (payload, state) => {
    const { baseUrl, headers } = apiOf(state);
    const res = await hub.http({
      method: 'POST',
      url: `${baseUrl}/announcements`,
      headers: { ...headers, 'idempotency-key': `household.registered:${payload.event.id}` },
      body: { household_id: payload.event.aggregateId, area_code: payload.area_code ?? null },
      retry: true,
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`The price API answered ${res.status} to an announcement.`);
  }),
];
