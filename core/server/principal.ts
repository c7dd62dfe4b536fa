// Who is calling: every handler receives a principal; the security issue fills it from a bearer token.

export const ALL_SCOPES = [
  'registry.read',
  'registry.write',
  'registry.search',
  'registry.review',
  'consent.manage',
  'consent.agreements',
  'consent.self',
  'registry.self',
  'registration.apply',
  'forms.manage',
  'assessment.manage',
  'reports.read',
  'reports.manage',
  'sync.push',
  'connectors.manage',
  'users.manage',
  'audit.read',
] as const;

export type Scope = (typeof ALL_SCOPES)[number];

export interface Principal {
  id: string; // written as created_by / updated_by
  kind: 'user' | 'client' | 'system';
  scopes: ReadonlySet<string>;
  /** Admin area codes the principal is limited to (each with everything under it); null = every area. */
  areas: readonly string[] | null;
  /** Roles still to be turned into scopes (tokens of a trusted external provider). */
  roles?: readonly string[];
  /** The person a beneficiary's account is linked to: they see and change only that person's consents. */
  subject?: string;
  /** Signed in with a one-time password: only changing it is allowed. */
  passwordChangeRequired?: boolean;
}

/** The principal of every request when SRHUB_AUTH=off (development and demo only). */
export const OPEN_ACCESS_PRINCIPAL: Principal = {
  id: 'anonymous',
  kind: 'system',
  scopes: new Set(ALL_SCOPES),
  areas: null,
};

/** The principal of the hub's own jobs (seed, import from the command line). */
export const SYSTEM_PRINCIPAL: Principal = { id: 'system', kind: 'system', scopes: new Set(ALL_SCOPES), areas: null };
