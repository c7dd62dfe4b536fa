// What a service call needs: the database, the caller and the request's id.
import { createAudit, type Audit } from '../audit/audit.js';
import type { Bus, Cache } from '../cache/index.js';
import { memoryBus, memoryCache } from '../cache/memory.js';
import type { Request } from 'express';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import { KeyStore } from '../keys/key-store.js';
import type { Secrets } from '../keys/secrets.js';
import type { Logger } from '../log.js';
import type { Principal } from './principal.js';

export interface Ctx {
  config: Config;
  db: Db;
  secrets: Secrets;
  principal: Principal;
  requestId: string;
  log: Logger;
  /** The caller's address, for the audit trail (undefined outside HTTP). */
  ip?: string;
  /** Where reads and writes of personal data and admin actions are recorded. */
  audit: Audit;
  /** Why the caller reads or changes the data (the X-Purpose header), for the audit trail. */
  purpose?: string;
  /** The hub's signing keys (consent tokens, DCI signatures). */
  keys: KeyStore;
  /** Shared cache (Redis or memory) and the bus between hub instances. */
  cache: Cache;
  bus: Bus;
}

/** What every request's context shares: the hub's services. */
export type HubServices = Pick<Ctx, 'config' | 'db' | 'secrets' | 'audit' | 'keys' | 'cache' | 'bus'>;

/** The context of one HTTP request (the hub API and the DCI API build it the same way). */
export function requestContext(services: HubServices, req: Request, principal: Principal): Ctx {
  const { config, db, secrets, audit, keys, cache, bus } = services;
  return {
    config,
    db,
    secrets,
    principal,
    requestId: req.id,
    log: req.log,
    ip: req.ip,
    audit,
    purpose: req.header('x-purpose')?.trim() || undefined,
    keys,
    cache,
    bus,
  };
}

/** The context of the hub's own work outside HTTP (command line, jobs). */
export function systemContext(
  config: Config,
  db: Db,
  secrets: Secrets,
  log: Logger,
  principal: Principal,
  shared: { audit?: Audit; keys?: KeyStore; cache?: Cache; bus?: Bus } = {},
): Ctx {
  return {
    config,
    db,
    secrets,
    principal,
    requestId: `system-${Date.now()}`,
    log,
    audit: shared.audit ?? createAudit(db, { log }),
    keys: shared.keys ?? new KeyStore(db, secrets.masterKey),
    // a command outside the server has the process to itself
    cache: shared.cache ?? memoryCache(),
    bus: shared.bus ?? memoryBus(),
  };
}
