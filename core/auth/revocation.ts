// Revocation of access tokens: a token carries its account's epoch at issue (claim `ep`, 0 when absent) and is
// honoured only while the account's epoch is still the same. The epoch goes up when the account's password changes or
// is reset, when a client's secret is rotated, and when a change narrows what old tokens state (disabled, roles or
// areas changed: a token carries its scopes and areas, which would otherwise outlive the change until it expires).

interface Grant {
  roles: string[];
  areas: string[] | null;
  disabled_at: Date | null;
}

/** Whether this change of a user or client must stop the tokens issued before it. */
export function revokesTokens(current: Grant, input: { roles?: string[]; areas?: string[] | null; disabled?: boolean }): boolean {
  return (input.disabled === true && current.disabled_at === null)
    || (input.roles !== undefined && !sameSet(input.roles, current.roles))
    || ('areas' in input && !sameSet(input.areas ?? null, current.areas));
}

const sameSet = (a: string[] | null, b: string[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

/** The epoch a token was issued at (tokens from before revocation existed have none: epoch 0). */
export const tokenEpoch = (claims: Record<string, unknown>): number => (typeof claims.ep === 'number' && Number.isInteger(claims.ep) ? claims.ep : 0);
