// The national ID connector's configuration: which protocol, where, with which credentials (secrets sealed by the
// framework), and what it may ask for.

export interface NationalIdConfig {
  protocol: 'mosip' | 'dci';
  baseUrl: string;
  idType: string;
  /** The consent purpose the checks rely on (a data agreement naming this connector as recipient). */
  purpose: string;
  partnerId?: string;
  mispLicenseKey?: string;
  apiKey?: string;
  idaPublicKey?: string;
  ekyc: boolean;
  ekycAttributes: string[];
  dciToken?: string;
  dciSenderId: string;
  dciReceiverId?: string;
  dciRegType: string;
  signDciMessages: boolean;
  requestTimeoutMs?: number;
}

export const EKYC_ATTRIBUTES = ['name', 'dob', 'gender', 'phoneNumber', 'emailId', 'fullAddress'] as const;
/** The consent category each eKYC attribute falls in: asked for only where the person's consent covers it. */
export const EKYC_CATEGORY: Record<string, string> = { name: 'name', dob: 'demographics', gender: 'demographics', phoneNumber: 'contact', emailId: 'contact', fullAddress: 'address' };

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl'],
  properties: {
    protocol: { type: 'string', enum: ['mosip', 'dci'], default: 'mosip', description: 'MOSIP-style ID Authentication, or a DCI ID/CRVS registry search' },
    baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'The ID system (IDA base URL, or the DCI registry base URL)' },
    idType: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{1,31}$', default: 'UIN', description: 'The registry identifier type holding the national ID number' },
    purpose: { type: 'string', minLength: 1, maxLength: 100, default: 'identity_verification' },
    partnerId: { type: 'string', minLength: 1, maxLength: 100 },
    mispLicenseKey: { type: 'string', minLength: 1, maxLength: 500 },
    apiKey: { type: 'string', minLength: 1, maxLength: 500 },
    idaPublicKey: { type: 'string', pattern: '^-----BEGIN PUBLIC KEY-----', description: "PEM of the IDA's RSA encryption key" },
    ekyc: { type: 'boolean', default: false, description: 'Ask for eKYC attributes (only those the consent covers)' },
    ekycAttributes: { type: 'array', items: { type: 'string', enum: [...EKYC_ATTRIBUTES] }, uniqueItems: true },
    dciToken: { type: 'string', minLength: 1, maxLength: 4000, description: 'Bearer token for the DCI registry' },
    dciSenderId: { type: 'string', minLength: 1, maxLength: 200 },
    dciReceiverId: { type: 'string', minLength: 1, maxLength: 200 },
    dciRegType: { type: 'string', minLength: 1, maxLength: 200 },
    signDciMessages: { type: 'boolean', default: false, description: "Sign DCI messages with the hub's Ed25519 key" },
    requestTimeoutMs: { type: 'integer', minimum: 100, maximum: 120000 },
    oidcIssuer: { type: 'string', pattern: '^https?://[^\\s]+$', description: "The ID system's OpenID Connect provider (eSignet): people sign in to the portal with it" },
    oidcClientId: { type: 'string', minLength: 1, maxLength: 200, description: "The hub's client id at the OpenID Connect provider" },
    oidcClientKey: { type: 'string', minLength: 2, maxLength: 10000, description: 'The private JWK (JSON) the hub signs its client assertions with (private_key_jwt)' },
    oidcIdClaim: { type: 'string', minLength: 1, maxLength: 100, default: 'individual_id', description: 'The userinfo claim that holds the national ID number' },
  },
} as const;

export const SECRET_KEYS = ['mispLicenseKey', 'apiKey', 'dciToken', 'oidcClientKey'];

export class ConfigurationError extends Error {}

export function readConfig(configuration: Record<string, unknown>): NationalIdConfig {
  const c = configuration as Partial<NationalIdConfig>;
  const config: NationalIdConfig = {
    protocol: c.protocol ?? 'mosip',
    baseUrl: String(c.baseUrl ?? '').replace(/\/+$/, ''),
    idType: c.idType ?? 'UIN',
    purpose: c.purpose ?? 'identity_verification',
    partnerId: c.partnerId,
    mispLicenseKey: c.mispLicenseKey,
    apiKey: c.apiKey,
    idaPublicKey: c.idaPublicKey,
    ekyc: c.ekyc ?? false,
    ekycAttributes: c.ekycAttributes ?? ['name', 'dob', 'gender'],
    dciToken: c.dciToken,
    dciSenderId: c.dciSenderId ?? 'srhub',
    dciReceiverId: c.dciReceiverId,
    dciRegType: c.dciRegType ?? 'ns:org:RegistryType:ID',
    signDciMessages: c.signDciMessages ?? false,
    requestTimeoutMs: c.requestTimeoutMs,
  };
  if (!config.baseUrl) throw new ConfigurationError('baseUrl is not configured');
  if (config.protocol === 'mosip' && !(config.partnerId && config.mispLicenseKey && config.apiKey && config.idaPublicKey)) {
    throw new ConfigurationError('the mosip protocol needs partnerId, mispLicenseKey, apiKey and idaPublicKey');
  }
  return config;
}
