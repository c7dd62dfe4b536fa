// The workflow's shapes: registration cases, change requests, and what inclusive registration records about how a
// person was registered (proxy, witness). See docs/workflow.md.
import type { Channel, HouseholdInput } from '../registry/types.js';

export type { Channel };

/** submitted -> (checks) -> verified | needs_review | rejected; verified (auto or approved) -> registered. */
export type CaseStatus = 'submitted' | 'verified' | 'needs_review' | 'rejected' | 'registered';
/** submitted -> (rules) -> approved | needs_review | rejected; approved -> applied (or back to needs_review on conflict). */
export type ChangeStatus = 'submitted' | 'needs_review' | 'approved' | 'rejected' | 'applied';

/** Someone registering on behalf of another (a household member who cannot come, a carer, a community leader). */
export interface ProxyInfo {
  name: string;
  /** The proxy's relationship to the person(s) registered: parent, carer, spouse, community_leader, ... */
  relationship: string;
  phone?: string;
  /** When the proxy is in the registry already. */
  person_id?: string;
  /** Why a proxy registers (illness, disability, age, absence). */
  reason?: string;
  /** The members (indexes into household.members) the proxy speaks for; absent: the whole household. */
  members?: number[];
}

/** A witness to an assisted registration (the registrant cannot read or sign; a thumbprint on paper, ...). */
export interface WitnessInfo {
  name: string;
  /** Their role: officer, community_leader, neighbour, ... */
  role?: string;
  phone?: string;
  /** The attachment's content hash (sha256 hex) of a signed paper statement, if one was captured (P4's attachments). */
  attachment?: string;
}

export interface Submission {
  channel: Channel;
  household: HouseholdInput;
  /** The form the data was collected with; checked against exactly this version. */
  form?: { id: string; version: number };
  /** A client-generated id (sync item UUID, portal request id): submitting it again returns the same case. */
  clientRef?: string;
  deviceId?: string;
  capturedAt?: string;
  proxy?: ProxyInfo;
  witness?: WitnessInfo;
  /** Who/what the submission comes from when not the caller (a connector's source system, an import file). */
  source?: string;
}

export interface SubmitResult {
  caseId: string;
  status: CaseStatus;
  /** true when clientRef matched an earlier submission: the earlier case is answered, nothing new is created. */
  replayed?: boolean;
  /** Set once the case is registered. */
  householdId?: string;
}

export type ChangeKind = 'update_household' | 'update_person' | 'add_member' | 'end_membership';

export interface ChangeRequest {
  householdId: string;
  /** The household version the change was made from (If-Match semantics); absent: the version when submitted. */
  baseVersion?: number;
  kind: ChangeKind;
  /** update_person / end_membership: whose record. */
  personId?: string;
  /**
   * update_household: a HouseholdPatch; update_person: a PersonPatch; add_member: a MemberInput
   * ({relationship, person | person_id}); end_membership: {end_date?, reason?}.
   */
  changes: Record<string, unknown>;
  channel: Channel;
  reason?: string;
  /** Where it comes from when not the caller: 'civil_registry', 'beneficiary_portal', ... (rules can match on it). */
  source?: string;
  clientRef?: string;
}

export interface ChangeResult {
  caseId: string;
  status: ChangeStatus;
  replayed?: boolean;
}
