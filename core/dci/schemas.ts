// The message schemas of openapi/dci-sr.yaml, compiled once. The router checks the envelope; the messages are
// checked here after decryption, item by item, so that one bad item gets its own rjct.* code and the batch goes on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readYamlFile } from '../server/yaml-file.js';

export const DCI_API_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/dci-sr.yaml');

const BASE = 'dci-sr.yaml#/components/schemas/';

export interface DciSchemas {
  searchRequest: ValidateFunction;
  searchItem: ValidateFunction;
  subscribeRequest: ValidateFunction;
  subscribeItem: ValidateFunction;
  unsubscribeRequest: ValidateFunction;
  txnStatusRequest: ValidateFunction;
  encryptedMessage: ValidateFunction;
}

let loaded: Promise<DciSchemas> | undefined;

export function dciSchemas(): Promise<DciSchemas> {
  return (loaded ??= load());
}

async function load(): Promise<DciSchemas> {
  const document = await readYamlFile<object>(DCI_API_FILE);
  const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: true, formats: { int32: true, int64: true, binary: true } });
  addFormats.default(ajv, ['date', 'date-time', 'uri']);
  ajv.addSchema(document, 'dci-sr.yaml');
  const get = (pointer: string) => ajv.compile({ $ref: BASE + pointer });
  // the batch itself; its items are checked one by one
  const batch = (list: string) => ajv.compile({
    type: 'object',
    required: ['transaction_id', list],
    properties: { transaction_id: { $ref: BASE + 'SearchRequest/properties/transaction_id' }, [list]: { type: 'array', minItems: 1, items: { type: 'object' } } },
  });
  return {
    searchRequest: batch('search_request'),
    searchItem: get('SearchRequest/properties/search_request/items'),
    subscribeRequest: batch('subscribe_request'),
    subscribeItem: get('SubscribeRequest/properties/subscribe_request/items'),
    unsubscribeRequest: get('UnSubscribeRequest'),
    txnStatusRequest: get('TxnStatusRequest'),
    encryptedMessage: get('EncryptedMessage'),
  };
}

/** 'search_criteria.sort[0].sort_order: must be equal to one of the allowed values' */
export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .filter((e) => !['if', 'anyOf', 'allOf'].includes(e.keyword))
    .slice(0, 5)
    .map((e) => {
      const where = [...e.instancePath.split('/').slice(1), ...(e.keyword === 'required' ? [String(e.params.missingProperty)] : [])]
        .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
        .join('');
      return `${where || 'message'}: ${e.keyword === 'required' ? 'is required' : e.message}`;
    })
    .join('; ');
}

/** The first segments of the paths of the failing fields (missing fields count as their own path). */
export function failingPaths(errors: ErrorObject[] | null | undefined): string[][] {
  return (errors ?? [])
    .filter((e) => !['if', 'anyOf', 'allOf'].includes(e.keyword))
    .map((e) => [...e.instancePath.split('/').slice(1), ...(e.keyword === 'required' ? [String(e.params.missingProperty)] : [])]);
}
