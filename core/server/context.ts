// What a service call needs: the database, the caller and the request's id.
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
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
}

/** The context of the hub's own work outside HTTP (command line, jobs). */
export function systemContext(config: Config, db: Db, secrets: Secrets, log: Logger, principal: Principal): Ctx {
  return { config, db, secrets, principal, requestId: `system-${Date.now()}`, log };
}
