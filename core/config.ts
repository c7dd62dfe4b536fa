// One typed configuration object, read from the environment and checked before anything starts.
import path from 'node:path';
import { DEFAULT_CHANGE_RULES, parseChangeRules, type ChangeRule } from './workflow/rules.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  publicUrl?: string;
  databaseUrl?: string;
  dbPoolSize: number;
  /** How long a request waits for a free database connection before a 503. */
  dbAcquireTimeoutMs: number;
  redisUrl?: string;
  redisKeyPrefix: string;
  dataDir: string;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** Bytes of large request bodies (1 MB and over) processed at once; more wait (core/server/body-budget.ts). */
  bodyBytesInFlight: number;
  /** How long a large request waits for room before 503. */
  bodyWaitMs: number;
  auth: 'on' | 'off';
  demo: boolean;
  idTypes: string[];
  /** Extra person/household `attributes` keys a DCI search may filter and sort on (SRHUB_DCI_ATTRIBUTES). */
  dciAttributes: string[];
  /** DCI callback URLs and jwks_uri may use http (not only https) beyond localhost: demos only (SRHUB_DCI_ALLOW_HTTP_CALLBACKS). */
  dciAllowHttpCallbacks: boolean;
  /** Hosts, addresses and CIDR ranges outgoing requests may reach although private or loopback (SRHUB_EGRESS_ALLOW; "loopback" = this machine). */
  egressAllow: string[];
  /** Where the DCI API is served: '' (paths are /registry/...) or a prefix such as /dci (SRHUB_DCI_BASE_PATH). */
  dciBasePath: string;
  /** The hub's sender_id in the DCI messages it sends (SRHUB_DCI_SENDER_ID; default: the host of the public URL). */
  dciSenderId?: string;
  shutdownTimeoutMs: number;
  /** 32 bytes from SRHUB_MASTER_KEY (base64); required with DATABASE_URL, generated into dataDir otherwise. */
  masterKey?: Buffer;
  /** The `iss` of the hub's tokens and the `aud` they must carry. */
  tokenIssuer: string;
  tokenTtlSeconds: number;
  keyRetentionDays: number;
  trustedIssuers: TrustedIssuer[];
  corsOrigins: string[];
  rateLimitPerMinute: number;
  rateLimitPerIpPerMinute: number;
  /** How long a create's Idempotency-Key is remembered. */
  idempotencyKeyDays: number;
  /** Outgoing messages (DCI callbacks, notifications): attempts, backoff and timeout per attempt. */
  delivery: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; timeoutMs: number };
  /** Delivered messages and consumed outbox events are kept this long (for txn/status and investigations). */
  outboxRetentionDays: number;
  /** express's `trust proxy`: which proxies' X-Forwarded-For to believe for the caller's address. */
  trustProxy?: string;
  /** Where the connectors are (SRHUB_CONNECTORS_DIR; default the connectors/ folder of the source tree). */
  connectorsDir?: string;
  /** How long a running connector run's lease lasts; its instance renews it while it works (a third of this). */
  connectorLeaseMs: number;
  /** Largest attachment a field app may upload (SRHUB_SYNC_ATTACHMENT_MAX), and largest chunk per request (SRHUB_SYNC_CHUNK_MAX). */
  syncAttachmentMaxBytes: number;
  syncChunkMaxBytes: number;
  /** The registration workflow (docs/workflow.md): auto-registration of verified cases, check timeout, change rules. */
  workflow: { autoRegister: boolean; checkTimeoutMs: number; changeRules: ChangeRule[] };
  /** Reports (core/reports): smallest count shown, dashboard cache lifetime, data-quality evaluation interval. */
  reports: { minCell: number; dashboardTtlSeconds: number; qualityCheckMinutes: number };
  /**
   * Quota and budget programs' eligibility after registry changes (core/programs/recompute.ts): recomputed once no
   * change has come for settleMs, or at the latest maxDelayMs after the first change waiting.
   */
  eligibility: { settleMs: number; maxDelayMs: number };
  /** The beneficiary portal's one-time codes (core/portal): codes per phone in 15 minutes, per address in an hour. */
  portal: { otpPerPhone: number; otpPerAddress: number };
}

/** An external OpenID provider whose tokens the hub accepts (SRHUB_TRUSTED_ISSUERS, a JSON array). */
export interface TrustedIssuer {
  issuer: string;
  jwks_uri: string;
  audience: string;
  /** The claim holding the user's roles (default "roles"); only roles the hub knows count. */
  roles_claim?: string;
  /** The claim holding admin area codes (default "areas"); absent = every area. */
  areas_claim?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// The identifier types of the SPDCI IdentifierTypeEnum; SRHUB_ID_TYPES adds national ones.
export const STANDARD_ID_TYPES = ['UIN', 'BRN', 'MRN', 'DRN'];
// The type of the registry ID the hub issues to people registered without any identifier.
export const REGISTRY_ID_TYPE = 'SRID';

type Env = Record<string, string | undefined>;

/** Reads the configuration; throws ConfigError naming every variable with a bad value. */
// a host name, an IPv4 or IPv6 address with an optional prefix length, or "loopback"
const EGRESS_ENTRY = /^(loopback|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\d{1,3}(\.\d{1,3}){3}(\/([0-9]|[12][0-9]|3[0-2]))?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(\/([0-9]{1,2}|1[01][0-9]|12[0-8]))?)$/;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const config: Config = {
    port: read.int('PORT', 8080, 0, 65535),
    host: read.string('HOST', '0.0.0.0'),
    publicUrl: read.url('SRHUB_PUBLIC_URL', ['http:', 'https:']),
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dbPoolSize: read.int('SRHUB_DB_POOL_SIZE', 10, 1, 1000),
    dbAcquireTimeoutMs: read.int('SRHUB_DB_ACQUIRE_TIMEOUT_MS', 10_000, 100, 600_000),
    redisUrl: read.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: read.string('SRHUB_REDIS_PREFIX', 'srhub:'),
    dataDir: path.resolve(read.string('SRHUB_DATA_DIR', './data')),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    bodyLimitBytes: read.bytes('SRHUB_BODY_LIMIT', 50 * 1024 * 1024),
    bodyBytesInFlight: read.bytes('SRHUB_BODY_BYTES_IN_FLIGHT', 32 * 1024 * 1024),
    bodyWaitMs: read.int('SRHUB_BODY_WAIT_MS', 60_000, 100, 600_000),
    auth: read.oneOf('SRHUB_AUTH', ['on', 'off'] as const, 'on'),
    demo: read.bool('SRHUB_DEMO', false),
    idTypes: [...STANDARD_ID_TYPES, ...read.list('SRHUB_ID_TYPES', /^[A-Z][A-Z0-9_]{1,31}$/)],
    dciAttributes: read.list('SRHUB_DCI_ATTRIBUTES', /^[a-z][a-z0-9_]{0,63}$/),
    dciAllowHttpCallbacks: read.bool('SRHUB_DCI_ALLOW_HTTP_CALLBACKS', false),
    egressAllow: read.list('SRHUB_EGRESS_ALLOW', EGRESS_ENTRY),
    dciBasePath: read.string('SRHUB_DCI_BASE_PATH', '').replace(/\/+$/, '').replace(/^(?=[^/])/, '/'),
    dciSenderId: read.string('SRHUB_DCI_SENDER_ID', '') || undefined,
    shutdownTimeoutMs: read.int('SRHUB_SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    masterKey: read.key('SRHUB_MASTER_KEY', 32),
    tokenIssuer: read.string('SRHUB_TOKEN_ISSUER', 'srhub'),
    tokenTtlSeconds: read.int('SRHUB_TOKEN_TTL_SECONDS', 900, 60, 86400),
    keyRetentionDays: read.int('SRHUB_KEY_RETENTION_DAYS', 400, 1, 3650),
    trustedIssuers: read.trustedIssuers('SRHUB_TRUSTED_ISSUERS'),
    corsOrigins: read.list('SRHUB_CORS_ORIGINS', /^https?:\/\/[^/\s]+$/),
    rateLimitPerMinute: read.int('SRHUB_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    rateLimitPerIpPerMinute: read.int('SRHUB_RATE_LIMIT_PER_IP_PER_MINUTE', 600, 1, 10_000_000),
    trustProxy: read.string('SRHUB_TRUST_PROXY', '') || undefined,
    connectorLeaseMs: read.int('SRHUB_CONNECTOR_LEASE_MS', 60_000, 1000, 3_600_000),
    connectorsDir: read.string('SRHUB_CONNECTORS_DIR', '') ? path.resolve(read.string('SRHUB_CONNECTORS_DIR', '')) : undefined,
    idempotencyKeyDays: read.int('SRHUB_IDEMPOTENCY_KEY_DAYS', 7, 1, 3650),
    delivery: {
      maxAttempts: read.int('SRHUB_DELIVERY_MAX_ATTEMPTS', 12, 1, 1000),
      baseDelayMs: read.int('SRHUB_DELIVERY_BASE_DELAY_MS', 2000, 1, 3_600_000),
      maxDelayMs: read.int('SRHUB_DELIVERY_MAX_DELAY_MS', 3_600_000, 1, 86_400_000),
      timeoutMs: read.int('SRHUB_DELIVERY_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    outboxRetentionDays: read.int('SRHUB_OUTBOX_RETENTION_DAYS', 7, 1, 3650),
    syncAttachmentMaxBytes: read.bytes('SRHUB_SYNC_ATTACHMENT_MAX', 10 * 1024 * 1024),
    syncChunkMaxBytes: read.bytes('SRHUB_SYNC_CHUNK_MAX', 1024 * 1024),
    workflow: {
      autoRegister: read.bool('SRHUB_WORKFLOW_AUTO_REGISTER', true),
      checkTimeoutMs: read.int('SRHUB_WORKFLOW_CHECK_TIMEOUT_MS', 30_000, 100, 600_000),
      changeRules: read.changeRules('SRHUB_WORKFLOW_CHANGE_RULES'),
    },
    reports: {
      minCell: read.int('SRHUB_REPORTS_MIN_CELL', 5, 1, 1000),
      dashboardTtlSeconds: read.int('SRHUB_REPORTS_DASHBOARD_TTL_SECONDS', 300, 1, 86_400),
      qualityCheckMinutes: read.int('SRHUB_REPORTS_QUALITY_CHECK_MINUTES', 60, 0, 10_080),
    },
    eligibility: {
      settleMs: read.int('SRHUB_ELIGIBILITY_SETTLE_MS', 2000, 0, 3_600_000),
      maxDelayMs: read.int('SRHUB_ELIGIBILITY_MAX_DELAY_MS', 30_000, 0, 86_400_000),
    },
    portal: {
      otpPerPhone: read.int('SRHUB_PORTAL_OTP_PER_PHONE', 3, 1, 1000),
      otpPerAddress: read.int('SRHUB_PORTAL_OTP_PER_ADDRESS', 30, 1, 1_000_000),
    },
  };
  if (config.databaseUrl && !config.masterKey && !problems.some((p) => p.startsWith('SRHUB_MASTER_KEY'))) {
    problems.push('SRHUB_MASTER_KEY: required when DATABASE_URL is set (32 random bytes, base64: `openssl rand -base64 32`)');
  }
  if (config.idTypes.includes(REGISTRY_ID_TYPE)) {
    problems.push(`SRHUB_ID_TYPES: ${REGISTRY_ID_TYPE} is reserved for the registry IDs the hub issues`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

class EnvReader {
  constructor(private env: Env, private problems: string[]) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}: expected true or false, got "${value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol)) return value;
    } catch {
      // reported below
    }
    // the value may hold a password: name the variable, never echo it
    this.problems.push(`${name}: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return undefined;
  }

  bytes(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(value);
    if (!match) {
      this.problems.push(`${name}: expected a size such as 512kb or 50mb, got "${value}"`);
      return fallback;
    }
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
    return Number(match[1]) * unit;
  }

  /** The workflow's change-request rules (a JSON array; core/workflow/rules.ts); absent: the defaults. */
  changeRules(name: string): ChangeRule[] {
    try {
      return parseChangeRules(this.raw(name));
    } catch (err) {
      this.problems.push(`${name}: ${(err as Error).message}`);
      return DEFAULT_CHANGE_RULES;
    }
  }

  /** A secret key as base64; the value is never echoed. */
  key(name: string, bytes: number): Buffer | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const key = Buffer.from(value, 'base64');
    if (key.length !== bytes || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
      this.problems.push(`${name}: expected ${bytes} random bytes in base64 (\`openssl rand -base64 ${bytes}\`)`);
      return undefined;
    }
    return key;
  }

  trustedIssuers(name: string): TrustedIssuer[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    try {
      const list = JSON.parse(value) as TrustedIssuer[];
      const valid = Array.isArray(list) && list.every((i) =>
        typeof i?.issuer === 'string' && typeof i.audience === 'string' && typeof i.jwks_uri === 'string' && /^https?:\/\//.test(i.jwks_uri));
      if (valid) return list;
    } catch {
      // reported below
    }
    this.problems.push(`${name}: expected a JSON array of {"issuer", "jwks_uri", "audience", "roles_claim"?, "areas_claim"?}`);
    return [];
  }

  list(name: string, itemPattern: RegExp): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !itemPattern.test(item));
    if (bad.length) this.problems.push(`${name}: invalid item(s) ${bad.join(', ')} (expected ${itemPattern})`);
    return items.filter((item) => itemPattern.test(item));
  }
}
