// A FHIR R4 client (fhir-kit-client) whose requests go through the connector's http(): fhir-kit-client builds the
// search URLs and follows the Bundles' `next` links, the hub's runner gives each call its time limit, retries and
// circuit breaker. fhir-kit-client calls fetch itself; its HttpClient.request (one method, public in its typings)
// is the seam replaced here, on this client instance only.
import { Client, type FhirResource } from 'fhir-kit-client';
import type { HubOperations } from '../framework/types.js';

export interface FhirBundle extends FhirResource {
  resourceType: 'Bundle';
  type?: string;
  link?: { relation: string; url: string }[];
  entry?: { fullUrl?: string; resource?: FhirResource }[];
}

export class FhirError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export function fhirClient(hub: Pick<HubOperations, 'http'>, baseUrl: string, bearerToken?: string): Client {
  const client = new Client({ baseUrl: baseUrl.replace(/\/+$/, '') });
  const transport = client.httpClient as unknown as {
    expandUrl(url: string): string;
    request(method: string, url: string, options?: { headers?: Record<string, string> }, body?: unknown): Promise<FhirResource>;
  };
  const origin = new URL(baseUrl).origin;
  transport.request = async (method, url, options = {}, body) => {
    const target = transport.expandUrl(url);
    // a `next` link elsewhere would take the bearer token (and the search) to another host
    if (new URL(target).origin !== origin) throw new FhirError('The FHIR server linked to another host; the link was not followed.', 0);
    const res = await hub.http({
      method,
      url: target,
      headers: {
        accept: 'application/fhir+json',
        ...(bearerToken ? { authorization: `Bearer ${bearerToken}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...options.headers,
      },
      body,
    });
    const parsed = typeof res.body === 'string' && res.body ? safeJson(res.body) : res.body;
    if (res.status < 200 || res.status >= 300) {
      const issue = (parsed as { issue?: { diagnostics?: string }[] } | undefined)?.issue?.[0]?.diagnostics;
      // the path can hold identifiers: only the status and the server's own diagnostics go into the message
      throw new FhirError(`The FHIR server answered ${res.status}${issue ? `: ${issue}` : ''}`, res.status);
    }
    if (!parsed || typeof parsed !== 'object' || typeof (parsed as FhirResource).resourceType !== 'string') {
      throw new FhirError('The FHIR server answered with something that is not a FHIR resource.', res.status);
    }
    return parsed as FhirResource;
  };
  return client;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every page of a search, following `next` links; stops after maxResources resources (the rest waits for the next run). */
export async function* searchPages(
  client: Client,
  resourceType: string,
  searchParams: Record<string, string | number>,
  maxResources: number,
): AsyncGenerator<FhirResource[]> {
  let bundle = (await client.search({ resourceType, searchParams })) as FhirBundle;
  let taken = 0;
  for (;;) {
    if (bundle.resourceType !== 'Bundle') throw new FhirError(`A search answered a ${bundle.resourceType}, not a Bundle.`, 200);
    const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is FhirResource => Boolean(r));
    yield resources;
    taken += resources.length;
    if (taken >= maxResources) return;
    const next = client.nextPage({ bundle: bundle as FhirBundle & { link: { relation: string; url: string }[] } });
    if (!next) return;
    bundle = (await next) as FhirBundle;
  }
}
