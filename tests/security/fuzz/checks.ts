// What every answer to a fuzzed request must be: not a 5xx, JSON (or a documented other type), a status the
// document lists for the operation (or a client error in the error shape), and a body the document's schema for
// that status accepts.
import AjvModule from 'ajv';
import type { Api } from '../../../core/server/openapi.js';
import type { FuzzRequest } from './requests.js';

/** Statuses the hub gives before it knows the operation: unreadable HTTP or body, too large, wrong media type, too many. */
const GENERIC_REFUSALS = new Set([400, 408, 413, 415, 429, 431]);

export interface Answer {
  status: number;
  type: string;
  text: string;
  ms: number;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The two error shapes outside an operation's own list: the hub's problem+json and the DCI API's {errors}/ERR ACK. */
export function errorShapes(hubDocument: Json, dciDocument: Json) {
  const ajv = new AjvModule.default({ strict: false, allErrors: false });
  const problem = ajv.compile(hubDocument.components.schemas.Problem);
  const dciErrors = ajv.compile({ type: 'object', required: ['errors'], properties: { errors: { type: 'array', items: { type: 'object', required: ['code', 'message'] } } } });
  const dciAck = ajv.compile({ type: 'object', required: ['message'], properties: { message: { type: 'object', required: ['ack_status', 'correlation_id'], properties: { ack_status: { const: 'ERR' } } } } });
  void dciDocument;
  return { problem: (b: unknown) => problem(b), dci: (b: unknown) => dciErrors(b) || dciAck(b) };
}

export type ErrorShapes = ReturnType<typeof errorShapes>;

/** The problems with an answer; empty when it is as the document says. */
export function checkAnswer(request: FuzzRequest, answer: Answer, apis: { hub: Api; dci: Api }, shapes: ErrorShapes): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`answered ${answer.status}`);
  const pathname = new URL(request.url, 'http://x').pathname;
  const dciMatch = matchOrNone(apis.dci, request.method, pathname);
  const api = dciMatch && !('allowed' in dciMatch) ? apis.dci : apis.hub;
  const match = matchOrNone(api, request.method, pathname);
  const isJson = /json/.test(answer.type);
  let body: unknown;
  if (isJson) {
    try {
      body = JSON.parse(answer.text);
    } catch {
      problems.push(`sent ${answer.type} that is not JSON`);
      return problems;
    }
  }
  if (!match || 'allowed' in match) {
    // a path the encoding turned into another one (.. segments): the hub's 404/405 problem
    if (!isJson || !shapes.problem(body)) problems.push(`unmatched ${answer.status} is not a problem+json: ${answer.text.slice(0, 200)}`);
    return problems;
  }
  const responses = (match.operation.operation.responses ?? {}) as Json;
  const documented = responses[String(answer.status)] as Json | undefined;
  if (!documented) {
    // refusals that come before the operation is known (HTTP parser, body parser, router) may answer any path
    if (!GENERIC_REFUSALS.has(answer.status)) problems.push(`status ${answer.status} is not listed for ${match.operation.operationId} (body ${answer.text.slice(0, 160)})`);
    else if (!isJson || !(api === apis.dci ? shapes.dci(body) || shapes.problem(body) : shapes.problem(body))) problems.push(`${answer.status} is not in the error shape: ${answer.text.slice(0, 200)}`);
    return problems;
  }
  const content = (documented.content ?? {}) as Json;
  const types = Object.keys(content);
  if (types.length && !types.some((t) => answer.type.startsWith(t) || (t.endsWith('json') && isJson))) {
    problems.push(`${answer.status} sent ${answer.type || 'no content type'}, the document says ${types.join(' or ')}`);
    return problems;
  }
  if (isJson && types.some((t) => t.endsWith('json'))) {
    const errors = api.validateResponse(match.operation.operationId, answer.status, body);
    if (errors.length) problems.push(`${answer.status} body does not match the document: ${JSON.stringify(errors.slice(0, 3))} (body ${answer.text.slice(0, 200)})`);
  }
  return problems;
}

/** The operation of a path; none when a parameter is not valid percent-encoding (the hub refuses that first). */
function matchOrNone(api: Api, method: string, pathname: string): ReturnType<Api['match']> {
  try {
    return api.match(method, pathname);
  } catch {
    return undefined;
  }
}

/** Object.prototype and friends as they are: compared after the run (pollution shows as a new or changed key). */
export function prototypeSnapshot(): string {
  const describe = (o: object) => Object.getOwnPropertyNames(o).sort().join(',');
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(describe).join('|');
}

export function polluted(): string[] {
  const probe = {} as Json;
  return ['polluted', 'toString_', 'isAdmin', 'x'].filter((k) => probe[k] !== undefined);
}
