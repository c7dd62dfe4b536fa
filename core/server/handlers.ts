// The shape of an API handler: registered by operationId, it receives validated input and the caller's context.
import type { Response } from 'express';
import type { Ctx } from './context.js';

export interface ApiRequest {
  operationId: string;
  params: Record<string, string>;
  /** Query parameters, coerced to the types the document declares. */
  query: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  header(name: string): string | undefined;
}

export type Handler = (ctx: Ctx, req: ApiRequest, res: Response) => Promise<void> | void;
export type Handlers = Record<string, Handler>;

/** Parses If-Match: '"3"' or 'W/"3"' -> 3; undefined when absent. */
export function ifMatchVersion(req: ApiRequest): number | undefined | 'invalid' {
  const value = req.header('if-match');
  if (value === undefined) return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value.trim());
  return m ? Number(m[1]) : 'invalid';
}
