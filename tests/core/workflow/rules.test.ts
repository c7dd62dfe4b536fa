// The change rules: first match decides, nothing matching means review; the configuration is checked at start.
import { loadConfig } from '../../../core/config.js';
import { ALL_SCOPES, type Principal } from '../../../core/server/principal.js';
import { decideChange, DEFAULT_CHANGE_RULES, parseChangeRules } from '../../../core/workflow/rules.js';
import { applyPatch } from '../../../core/workflow/run-checks.js';
import type { ChangeRequest } from '../../../core/workflow/index.js';

const officer: Principal = { id: 'user:o', kind: 'user', scopes: new Set(['registry.read', 'registry.write']), areas: null };
const beneficiary: Principal = { id: 'user:b', kind: 'user', scopes: new Set(['consent.self']), areas: null };
const connector: Principal = { id: 'connector:civil-registry', kind: 'system', scopes: new Set(ALL_SCOPES), areas: null };
const change = (c: Partial<ChangeRequest>): ChangeRequest => ({ householdId: 'h', kind: 'update_person', personId: 'p', changes: { phone: '+1' }, channel: 'in_person', ...c });

describe('change rules', () => {
  it('approves contact and address changes by staff in person or in the field, and reviews the rest', () => {
    expect(decideChange(DEFAULT_CHANGE_RULES, change({}), officer)).toEqual({ decision: 'approve', rule: 'staff_contact_update' });
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ channel: 'mobile', changes: { phone: '+1', email: 'a@b.c' } }), officer).decision).toBe('approve');
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ kind: 'update_household', changes: { address: 'x', location: { latitude: 1, longitude: 2 } } }), officer)).toEqual({ decision: 'approve', rule: 'staff_address_update' });
    // a name is not a contact detail; an online request is not staff in person; a beneficiary lacks registry.write
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ changes: { phone: '+1', given_name: 'X' } }), officer)).toEqual({ decision: 'review', rule: null });
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ channel: 'online' }), officer).decision).toBe('review');
    expect(decideChange(DEFAULT_CHANGE_RULES, change({}), beneficiary).decision).toBe('review');
    // the civil registry's changes are reviewed (a new member, a death of a possible match)
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ kind: 'add_member', channel: 'connector', source: 'civil_registry', changes: { relationship: 'SON' } }), connector)).toEqual({ decision: 'review', rule: 'civil_registry_review' });
    expect(decideChange(DEFAULT_CHANGE_RULES, change({ source: 'civil_registry' }), officer)).toEqual({ decision: 'review', rule: 'civil_registry_review' });
  });

  it('reads rules from SRHUB_WORKFLOW_CHANGE_RULES and names what is wrong', () => {
    const rules = [{ name: 'deaths_from_registry', decision: 'approve', sources: ['civil_registry'], kinds: ['update_person'], fields: ['death_date'] }];
    const config = loadConfig({ SRHUB_WORKFLOW_CHANGE_RULES: JSON.stringify(rules) });
    expect(config.workflow.changeRules).toEqual(rules);
    expect(decideChange(config.workflow.changeRules, change({ source: 'civil_registry', changes: { death_date: '2026-01-01' } }), connector)).toEqual({ decision: 'approve', rule: 'deaths_from_registry' });
    expect(loadConfig({}).workflow).toEqual({ autoRegister: true, checkTimeoutMs: 30_000, changeRules: DEFAULT_CHANGE_RULES });
    expect(() => loadConfig({ SRHUB_WORKFLOW_CHANGE_RULES: '{"name":1}' })).toThrow(/SRHUB_WORKFLOW_CHANGE_RULES: expected a JSON array/);
    expect(() => loadConfig({ SRHUB_WORKFLOW_CHANGE_RULES: '[{"name":"x","decision":"maybe"}]' })).toThrow(/rule 0: decision must be approve or review/);
    expect(() => parseChangeRules('[{"name":"x","decision":"approve","kinds":["rename"]}]')).toThrow(/kinds must be a list of update_household/);
    expect(() => loadConfig({ SRHUB_WORKFLOW_AUTO_REGISTER: 'sometimes' })).toThrow(/SRHUB_WORKFLOW_AUTO_REGISTER/);
  });
});

describe('check patches', () => {
  it('replace top-level fields and merge attributes key by key', () => {
    const household = { area_code: 'A', address: 'x', attributes: { rooms: 2, water_source: 'piped' }, members: [] };
    expect(applyPatch(household, { area_code: 'B', attributes: { geocoded: true } })).toEqual({ area_code: 'B', address: 'x', attributes: { rooms: 2, water_source: 'piped', geocoded: true }, members: [] });
    expect(household.area_code).toBe('A');
  });
});
