// The notification connector's configuration: the SMS/e-mail gateway, its key (sealed), and how people are reached.

export interface NotificationConfig {
  baseUrl: string;
  apiKey?: string;
  sender: string;
  /** Preferred channels in order: the first the person has (a phone for sms, an address for email) is used. */
  channels: ('sms' | 'email')[];
  /** The consent purpose sending a person's contact details to the gateway relies on. */
  purpose: string;
}

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl'],
  properties: {
    baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'The gateway (POST {baseUrl}/messages)' },
    apiKey: { type: 'string', minLength: 1, maxLength: 500 },
    sender: { type: 'string', minLength: 1, maxLength: 60, default: 'Registry' },
    channels: { type: 'array', items: { type: 'string', enum: ['sms', 'email'] }, minItems: 1, uniqueItems: true },
    purpose: { type: 'string', minLength: 1, maxLength: 100, default: 'notification' },
  },
} as const;

export const SECRET_KEYS = ['apiKey'];

export function readConfig(configuration: Record<string, unknown>): NotificationConfig {
  const c = configuration as Partial<NotificationConfig>;
  const baseUrl = String(c.baseUrl ?? '').replace(/\/+$/, '');
  if (!baseUrl) throw new Error('baseUrl is not configured');
  return { baseUrl, apiKey: c.apiKey, sender: c.sender ?? 'Registry', channels: c.channels ?? ['sms', 'email'], purpose: c.purpose ?? 'notification' };
}
