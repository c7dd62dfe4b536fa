// Which change requests apply without an officer: an ordered list of rules, the first that matches decides;
// nothing matching means review. Configured with SRHUB_WORKFLOW_CHANGE_RULES (a JSON array) or replaced at run time
// (hub.workflow.rules.set). The defaults: contact details and the address changed by staff in person or in the
// field apply at once; anything from outside (civil registry, beneficiaries, connectors) is reviewed.
import type { Principal } from '../server/principal.js';
import type { ChangeKind, ChangeRequest, Channel } from './types.js';

export interface ChangeRule {
  /** Shown in the case's reasons ('rule:<name>'), so a reviewer or auditor sees why a change applied. */
  name: string;
  decision: 'approve' | 'review';
  kinds?: ChangeKind[];
  channels?: Channel[];
  /** The request's `source` ('civil_registry', 'beneficiary_portal', ...); 'none' matches a request without one. */
  sources?: string[];
  /** The submitter: 'user' (staff signed in), 'client' (a system), 'system' (the hub's own jobs, connectors). */
  principalKinds?: Principal['kind'][];
  /** A scope the submitter must hold (e.g. registry.write: staff, not a beneficiary). */
  requiredScope?: string;
  /** Every changed field must be one of these (top-level keys of `changes`). */
  fields?: string[];
}

export const DEFAULT_CHANGE_RULES: ChangeRule[] = [
  {
    name: 'staff_contact_update',
    decision: 'approve',
    kinds: ['update_person'],
    channels: ['in_person', 'mobile'],
    principalKinds: ['user'],
    requiredScope: 'registry.write',
    sources: ['none'],
    fields: ['phone', 'email', 'preferred_language', 'channel'],
  },
  {
    name: 'staff_address_update',
    decision: 'approve',
    kinds: ['update_household'],
    channels: ['in_person', 'mobile'],
    principalKinds: ['user'],
    requiredScope: 'registry.write',
    sources: ['none'],
    fields: ['address', 'location', 'channel'],
  },
  { name: 'civil_registry_review', decision: 'review', sources: ['civil_registry'] },
];

export interface Decision {
  decision: 'approve' | 'review';
  rule: string | null;
}

export function decideChange(rules: readonly ChangeRule[], change: ChangeRequest, principal: Principal): Decision {
  const fields = Object.keys(change.changes ?? {});
  for (const rule of rules) {
    if (rule.kinds && !rule.kinds.includes(change.kind)) continue;
    if (rule.channels && !rule.channels.includes(change.channel)) continue;
    if (rule.sources && !rule.sources.includes(change.source ?? 'none')) continue;
    if (rule.principalKinds && !rule.principalKinds.includes(principal.kind)) continue;
    if (rule.requiredScope && !principal.scopes.has(rule.requiredScope)) continue;
    if (rule.fields && (fields.length === 0 || !fields.every((f) => rule.fields!.includes(f)))) continue;
    return { decision: rule.decision, rule: rule.name };
  }
  return { decision: 'review', rule: null };
}

const KINDS: ChangeKind[] = ['update_household', 'update_person', 'add_member', 'end_membership'];
const CHANNELS: Channel[] = ['online', 'mobile', 'in_person', 'bulk_import', 'connector'];

/** Parses SRHUB_WORKFLOW_CHANGE_RULES; throws an Error saying what is wrong (core/config.ts reports it). */
export function parseChangeRules(json: string | undefined): ChangeRule[] {
  if (!json?.trim()) return DEFAULT_CHANGE_RULES;
  const problem = (what: string) => new Error(what);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw problem('expected a JSON array of rules');
  }
  if (!Array.isArray(value)) throw problem('expected a JSON array of rules');
  return value.map((r, i) => {
    const rule = r as ChangeRule;
    const list = (key: keyof ChangeRule, allowed?: readonly string[]) => {
      const v = rule[key];
      if (v === undefined) return;
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && (!allowed || allowed.includes(x)))) {
        throw problem(`rule ${i}: ${key} must be a list${allowed ? ` of ${allowed.join(', ')}` : ' of texts'}`);
      }
    };
    if (typeof rule !== 'object' || rule === null || typeof rule.name !== 'string' || !rule.name) throw problem(`rule ${i}: name is required`);
    if (rule.decision !== 'approve' && rule.decision !== 'review') throw problem(`rule ${i}: decision must be approve or review`);
    list('kinds', KINDS);
    list('channels', CHANNELS);
    list('sources');
    list('principalKinds', ['user', 'client', 'system']);
    list('fields');
    if (rule.requiredScope !== undefined && typeof rule.requiredScope !== 'string') throw problem(`rule ${i}: requiredScope must be a text`);
    return rule;
  });
}
