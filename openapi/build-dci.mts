// Builds openapi/dci-sr.yaml (the SPDCI Social Registry API as the hub serves it) from the upstream standard
// /work/shared/spdci/social_api_v1.0.0.yaml (or the path given), fixing the defects listed in docs/dci.md and
// keeping every schema. Run: npx tsx openapi/build-dci.mts [spec.yaml]  (the output is committed).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = process.argv[2] ?? path.resolve(here, '../../shared/spdci/social_api_v1.0.0.yaml');
const spec = parse(await readFile(source, 'utf8'));
const schemas = spec.components.schemas;

// the operations the hub serves; the others are callbacks it sends (on-search, notify, ...): they become webhooks
const SERVED: Record<string, { sync: boolean; summary: string }> = {
  '/registry/search': { sync: false, summary: 'Search the registry (answer delivered to on-search)' },
  '/registry/sync/search': { sync: true, summary: 'Search the registry and get the on-search message back' },
  '/registry/subscribe': { sync: false, summary: 'Subscribe to registry events (answer delivered to on-subscribe)' },
  '/registry/unsubscribe': { sync: false, summary: 'End subscriptions by code (answer delivered to on-unsubscribe)' },
  '/registry/txn/status': { sync: false, summary: 'Status of a transaction (answer delivered to txn/on-status)' },
  '/registry/sync/txn/status': { sync: true, summary: 'Status of a transaction, answered at once' },
};
const WEBHOOKS: Record<string, string> = {
  '/registry/on-search': 'on-search',
  '/registry/on-subscribe': 'on-subscribe',
  '/registry/on-unsubscribe': 'on-unsubscribe',
  '/registry/txn/on-status': 'txn-on-status',
  '/registry/notify': 'notify',
};

// defect 1: info.version slipped into the description
spec.openapi = '3.1.0';
spec.info.description = String(spec.info.description).replace(/\s+version: 1\.0\.0\s*$/, '').trim() + '\n\n' + [
  'This is the document srhub serves, built by openapi/build-dci.mts from the SPDCI standard with its defects fixed',
  '(docs/dci.md lists them). Paths are relative to the hub root or to SRHUB_DCI_BASE_PATH; the callbacks the hub',
  'sends are listed under webhooks. Bodies are JSON (the multipart file form is not offered).',
].join('\n');
spec.info.version = '1.0.0';
spec.servers = [{ url: '/', description: 'this hub (or its SRHUB_DCI_BASE_PATH)' }];
delete spec['x-tagGroups'];

// the hub's bearer tokens (POST /oauth2/client/token); every served operation needs registry.search
spec.components.securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /oauth2/client/token (client_credentials); DCI operations need the scope registry.search.',
  },
};

// a schema the standard hid under `example` and then referenced: give it a name
const txnSearch = schemas.TxnStatusResponse.properties.txnstatus_response.example;
schemas.TxnStatusSearchResult = txnSearch;
delete schemas.TxnStatusResponse.properties.txnstatus_response.example;
const OLD_TXN_REF = '#/components/schemas/TxnStatusResponse/properties/txnstatus_response/example';
rewriteRefs(spec, (ref) => (ref.startsWith(OLD_TXN_REF) ? '#/components/schemas/TxnStatusSearchResult' + ref.slice(OLD_TXN_REF.length) : ref));

// defect 4: locale is ISO 639-3 (eng) but examples say en: accept both, the hub answers with three letters
schemas.SubscriptionInfo.properties.locale.pattern = '^[a-z]{2,3}$';

// defect 2: query and filter are anyOf shapes with no required field; name them and choose by query_type / filter_type
const filterAnyOf = schemas.SubscriptionInfo.properties.filter.anyOf;
// the standard's form {type, value: {expression}} and the shorter ones other implementations send
schemas.ExpressionQuery = {
  ...filterAnyOf[0],
  anyOf: [{ required: ['value'] }, { required: ['expression'] }, { required: ['query'] }],
  description: 'query_type expression: {type, value: {expression: {collection: Group|Member, query: {Mongo-style operators}}}}; {expression: {...}} and {collection, query} are accepted too',
};
schemas.IdTypeValueQuery = { ...filterAnyOf[1], required: ['type', 'value'], description: 'query_type idtype-value: an identifier type (UIN, BRN, MRN, DRN or a national type) and its value' };
// a value's types overlap (an integer is a number too): oneOf refuses every number, anyOf is what was meant
const valueTypes = filterAnyOf[1].properties.value.allOf[1];
// and the `in` operator needs a list, which the standard forgot
valueTypes.anyOf = [...valueTypes.oneOf, { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } }];
delete valueTypes.oneOf;
schemas.PredicateQuery = { ...filterAnyOf[2], minItems: 1, description: 'query_type predicate: expressions combined in seq_num order (and by default; not negates expression1)' };
// the other anyOf branches referenced the ones inside filter: point them at the names
rewriteRefs(spec, (ref) =>
  ref.replace('#/components/schemas/SubscriptionInfo/properties/filter/anyOf/0', '#/components/schemas/ExpressionQuery')
    .replace('#/components/schemas/SubscriptionInfo/properties/filter/anyOf/1', '#/components/schemas/IdTypeValueQuery')
    .replace('#/components/schemas/SubscriptionInfo/properties/filter/anyOf/2', '#/components/schemas/PredicateQuery'),
);
const byType = (discriminator: string, on: string, types: Record<string, string>) => ({
  allOf: Object.entries(types).map(([type, schema]) => ({
    if: { properties: { [discriminator]: { const: type } }, required: [discriminator] },
    then: { properties: { [on]: { $ref: `#/components/schemas/${schema}` } } },
  })),
});
const QUERY_SCHEMAS = { 'idtype-value': 'IdTypeValueQuery', expression: 'ExpressionQuery', predicate: 'PredicateQuery' };
schemas.SubscriptionInfo.properties.filter = {
  description: schemas.SubscriptionInfo.properties.filter.description,
  anyOf: [{ $ref: '#/components/schemas/ExpressionQuery' }, { $ref: '#/components/schemas/IdTypeValueQuery' }, { $ref: '#/components/schemas/PredicateQuery' }],
};
const criteria = schemas.SearchRequest.properties.search_request.items.properties.search_criteria;
criteria.properties.query = {
  description: criteria.properties.query.description,
  anyOf: [{ $ref: '#/components/schemas/ExpressionQuery' }, { $ref: '#/components/schemas/IdTypeValueQuery' }, { $ref: '#/components/schemas/PredicateQuery' }],
};
Object.assign(criteria, byType('query_type', 'query', QUERY_SCHEMAS));
const subscribeCriteria = schemas.SubscribeRequest.properties.subscribe_request.items.properties.subscribe_criteria;
Object.assign(subscribeCriteria, byType('filter_type', 'filter', QUERY_SCHEMAS));
// the hub's own event types besides the standard's
schemas.SubscriptionInfo.properties.reg_event_type.enum = ['REGISTER', 'NewHouseHoldMember', 'UPDATE', 'DEATH', 'DEREGISTER', 'ELIGIBILITY'];
// ELIGIBILITY (a household became eligible or ineligible for a program) names the program, by its code
schemas.SubscriptionInfo.properties.program = {
  type: 'string',
  pattern: '^[a-z][a-z0-9_-]{1,63}$',
  description: 'The hub\'s own: the program code an ELIGIBILITY subscription follows (required for it, refused otherwise).',
};
subscribeCriteria.properties.program = { $ref: '#/components/schemas/SubscriptionInfo/properties/program' };
// consent / authorize (defect 8): the shape the examples use
const purposeHolder = {
  type: 'object',
  properties: {
    '@type': { type: 'string' },
    ts: { type: 'string', format: 'date-time' },
    purpose: { type: 'object', properties: { text: { type: 'string' }, code: { type: 'string' }, ref_uri: { type: 'string' } } },
  },
};
for (const name of ['consent', 'authorize']) criteria.properties[name] = { ...criteria.properties[name], ...purposeHolder };
// pagination sizes are whole numbers from 1
const pagination = criteria.properties.pagination;
pagination.properties.page_size = { ...pagination.properties.page_size, type: 'integer', minimum: 1 };
pagination.properties.page_number = { ...pagination.properties.page_number, type: 'integer', minimum: 1 };

// The envelope of each served operation: the header is checked when the request arrives; the message only after
// decryption, item by item, so that one bad item is rejected on its own (a rjct code in its answer) and the batch
// goes on. The envelope says which message schema applies.
const paths: Record<string, unknown> = {};
const webhooks: Record<string, unknown> = {};
for (const [p, item] of Object.entries<Record<string, any>>(spec.paths)) {
  const op = item.post;
  delete op.requestBody.content['multipart/form-data'];
  if (WEBHOOKS[p]) {
    op.responses = { '200': { $ref: '#/components/responses/Response' }, default: { $ref: '#/components/responses/HttpErrorResponse' } };
    webhooks[WEBHOOKS[p]] = { post: op };
    delete op.security;
    continue;
  }
  const served = SERVED[p];
  if (!served) throw new Error(`unknown path ${p}`);
  op.summary = served.summary;
  op.security = [{ bearerAuth: ['registry.search'] }];
  const body = op.requestBody.content['application/json'].schema;
  const messageSchemas = body.properties.message.oneOf;
  body.properties.message = {
    type: 'object',
    description: `${body.properties.message.description ?? ''}\nOne of: ${messageSchemas.map((s: { $ref: string }) => s.$ref.split('/').pop()).join(', ')} (EncryptedMessage when header.is_msg_encrypted is true); checked after decryption, item by item.`.trim(),
  };
  body.properties.message['x-srhub-message'] = messageSchemas.map((s: { $ref: string }) => s.$ref);
  const errors = { $ref: '#/components/responses/HttpErrorResponse' };
  const success = served.sync ? op.responses.default : { $ref: '#/components/responses/Response' };
  op.responses = {
    [served.sync ? '200' : '202']: success,
    '400': { $ref: '#/components/responses/Rejected' },
    '401': errors,
    '403': errors,
    '409': { $ref: '#/components/responses/Rejected' },
    '413': errors,
    '415': errors,
    '429': errors,
    '500': errors,
    '503': errors,
  };
  paths[p] = item;
}
spec.paths = paths;
spec.webhooks = webhooks;
spec.components.responses.Rejected = {
  description: 'The message was not accepted (ack_status ERR with an err.* code; a header rejection names its rjct.* code in the message).',
  content: spec.components.responses.Response.content,
};
const ack = spec.components.responses.Response.content['application/json'].schema;
ack.required = ['message'];

await writeFile(
  path.resolve(here, 'dci-sr.yaml'),
  '# Generated by openapi/build-dci.mts from the SPDCI social_api_v1.0.0.yaml (Apache-2.0); edit the script, not this file.\n' +
    stringify(spec, { lineWidth: 0, aliasDuplicateObjects: false }),
);

function rewriteRefs(node: unknown, map: (ref: string) => string): void {
  if (Array.isArray(node)) node.forEach((n) => rewriteRefs(n, map));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') (node as Record<string, unknown>)[k] = map(v);
      else rewriteRefs(v, map);
    }
  }
}
