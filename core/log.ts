// The hub's logger: pino, JSON lines. Callers log ids and counts, never names, identifiers or tokens.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'srhub' },
    // a safety net: these keys are dropped wherever they appear in a log object
    redact: { paths: ['req.headers.authorization', '*.password', '*.token', '*.secret'], remove: true },
  });
}
