// The program management connector's configuration: the MIS's enrolment API, its key (sealed), and which hub
// programs it manages.

export interface ProgramMisConfig {
  baseUrl: string;
  apiKey?: string;
  /** Hub program codes (core/programs) whose eligible households go to this MIS; the MIS knows them by the same code. */
  programs: string[];
  /** The consent purpose the push relies on; the recipient is the program (its code), as agreements name it. */
  purpose: string;
  /** The data categories the MIS needs; each member is sent with those their consent allows, nothing else. */
  categories: string[];
  pageSize: number;
}

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['baseUrl', 'programs'],
  properties: {
    baseUrl: { type: 'string', pattern: '^https?://[^\\s]+$' },
    apiKey: { type: 'string', minLength: 1, maxLength: 500 },
    programs: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{1,63}$' } },
    purpose: { type: 'string', minLength: 1, maxLength: 100, default: 'program_enrolment' },
    categories: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: ['name', 'identifiers', 'demographics', 'contact', 'address', 'area', 'household', 'vulnerability', 'socioeconomic'] },
    },
    pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
} as const;

export const SECRET_KEYS = ['apiKey'];

export function readConfig(configuration: Record<string, unknown>): ProgramMisConfig {
  const c = configuration as Partial<ProgramMisConfig>;
  const baseUrl = String(c.baseUrl ?? '').replace(/\/+$/, '');
  if (!baseUrl) throw new Error('baseUrl is not configured');
  return {
    baseUrl,
    apiKey: c.apiKey,
    programs: c.programs ?? [],
    purpose: c.purpose ?? 'program_enrolment',
    categories: c.categories ?? ['name', 'identifiers', 'demographics', 'contact', 'area', 'household'],
    pageSize: c.pageSize ?? 100,
  };
}

export const headersOf = (config: ProgramMisConfig): Record<string, string> => (config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {});
