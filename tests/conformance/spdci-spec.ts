// The SPDCI Social Registry standard as a validator: plain ajv over /work/shared/spdci/social_api_v1.0.0.yaml (not
// openapi-backend, which routes the hub's requests), with the standard's defects handled as docs/dci.md documents.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const SPEC_FILE = process.env.SPDCI_SOCIAL_API ?? path.resolve(process.cwd(), '../shared/spdci/social_api_v1.0.0.yaml');

export interface SpecValidator {
  /** The request body of a path (the hub's endpoints and the callbacks it sends). */
  request(apiPath: string, body: unknown): string[];
  /** An answer of a path: sync answers are the path's default response, async ones the ACK, 401/403 HttpErrorResponse. */
  response(apiPath: string, status: number, body: unknown): string[];
}

export async function loadSpec(): Promise<SpecValidator> {
  const spec = parse(await readFile(SPEC_FILE, 'utf8'));
  const schemas = spec.components.schemas;
  // defect: a schema placed under `example` and referenced there; ajv does not resolve into examples
  const txn = schemas.TxnStatusResponse.properties.txnstatus_response;
  schemas.TxnStatusSearchResult = txn.example;
  delete txn.example;
  rewriteRefs(spec, (ref) => ref.replace('#/components/schemas/TxnStatusResponse/properties/txnstatus_response/example', '#/components/schemas/TxnStatusSearchResult'));
  // an identifier or attribute value is oneOf string/integer/number/...: every number matches two; anyOf was meant
  const valueTypes = schemas.SubscriptionInfo.properties.filter.anyOf[1].properties.value.allOf[1];
  // and the `in` operator needs a list, which the standard forgot
  valueTypes.anyOf = [...valueTypes.oneOf, { type: 'array' }];
  delete valueTypes.oneOf;
  // the hub's own event types besides REGISTER and NewHouseHoldMember (documented extension)
  const notifyData = schemas.NotifyEventRequest.properties.notify_event.items.properties.data.properties;
  notifyData.reg_event_type.enum.push('UPDATE', 'DEATH', 'DEREGISTER', 'ELIGIBILITY');

  const ajv = new Ajv.default({ strict: false, allErrors: true, formats: { int32: true, binary: true } });
  addFormats.default(ajv);
  ajv.addSchema(spec, 'spec');
  const cache = new Map<string, ValidateFunction>();
  const compile = (pointer: string) => {
    if (!cache.has(pointer)) cache.set(pointer, ajv.compile({ $ref: `spec#${pointer}` }));
    return cache.get(pointer)!;
  };
  const escape = (p: string) => p.replace(/~/g, '~0').replace(/\//g, '~1');
  const check = (validate: ValidateFunction, body: unknown) =>
    validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);

  return {
    request(apiPath, body) {
      if (!spec.paths[apiPath]) return [`${apiPath} is not in the standard`];
      return check(compile(`/paths/${escape(apiPath)}/post/requestBody/content/application~1json/schema`), body);
    },
    response(apiPath, status, body) {
      if (status === 401 || status === 403) return check(compile('/components/responses/HttpErrorResponse/content/application~1json/schema'), body);
      const responses = spec.paths[apiPath]?.post?.responses ?? {};
      const sync = responses.default && !responses.default.$ref;
      if (sync && status === 200) return check(compile(`/paths/${escape(apiPath)}/post/responses/default/content/application~1json/schema`), body);
      return check(compile('/components/responses/Response/content/application~1json/schema'), body);
    },
  };
}

function rewriteRefs(node: unknown, map: (ref: string) => string): void {
  if (Array.isArray(node)) node.forEach((n) => rewriteRefs(n, map));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') (node as Record<string, unknown>)[k] = map(v);
      else rewriteRefs(v, map);
    }
  }
}
