// The `sub` of a consent token: a pairwise pseudonym of the person for the token's recipients, so recipients cannot
// link people across sectors and no token carries the national ID or the hub's person id.
import type { Secrets } from '../core/keys/secrets.js';

export function pairwiseSubject(secrets: Secrets, personId: string, recipients: readonly string[]): string {
  // the blind-index key with a context of its own: equal inputs give equal pseudonyms, nothing else can be learned
  return secrets.index('consent_pairwise_subject', `${personId}\u0000${[...recipients].sort().join(' ')}`);
}
