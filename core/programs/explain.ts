// One household's eligibility for every active program, with the reason for each rule: each rule's SQL evaluated
// for that household alone, next to the values of the fields the rule reads.
import { featuresSql } from '../assessment/features.js';
import { SqlParams } from '../assessment/sql-params.js';
import { denyRead, householdEntries } from '../registry/audit.js';
import { discloseHouseholdSummaries, isExternalClient } from '../registry/disclosure.js';
import { householdStore } from '../registry/households/store.js';
import type { HouseholdSummary } from '../registry/types.js';
import { areaVisible, scopeParam } from '../registry/scope.js';
import type { Ctx } from '../server/context.js';
import { compileRule } from './compile-rule.js';
import { programPolicy } from './eligibility.js';

export interface RuleOutcome {
  name: string;
  expression: string;
  passed: boolean;
  /** The household's values of the fields the rule reads (null = not answered). */
  values: Record<string, unknown>;
}

export interface HouseholdEligibility {
  program_id: string;
  program_code: string;
  program_name: string;
  /** Passes every rule and is within the quota and budget. */
  eligible: boolean;
  passes_rules: boolean;
  /** Passes the rules but the quota or budget is used up by households ranked before it. */
  beyond_quota: boolean;
  score: number | null;
  rules: RuleOutcome[];
}

export async function householdEligibility(ctx: Ctx, householdId: string): Promise<HouseholdEligibility[]> {
  const [visible] = await ctx.db.query(`select 1 from household h where h.id = $1 and ${areaVisible('h.area_code', 2)}`, [householdId, scopeParam(ctx.principal)]);
  if (!visible) return denyRead(ctx, 'household', householdId);
  const members = await householdStore.currentMemberIds(ctx.db, [householdId]);
  // an external client sees it only where a member's consent allows disclosure (core/registry/disclosure.ts)
  if (isExternalClient(ctx)) {
    const shown = await discloseHouseholdSummaries(ctx, [{ id: householdId } as unknown as HouseholdSummary], members);
    if (shown.length === 0) return denyRead(ctx, 'household', householdId);
  }
  const programs = await ctx.db.query<{ id: string; code: string; name: string; eligible: boolean | null }>(
    `select p.id, p.code, p.name, e.eligible from program p
     left join household_eligibility e on e.program_id = p.id and e.household_id = $1
     where p.status = 'active' order by p.code`,
    [householdId],
  );
  const answers: HouseholdEligibility[] = [];
  for (const program of programs) {
    const found = await programPolicy(ctx.db, program.id);
    if (!found) continue;
    const { policy, modelId } = found;
    const params = new SqlParams([householdId]);
    const compiled = policy.rules.map((r) => compileRule(r.expression, { hasScore: policy.hasScore, threshold: policy.threshold }, params));
    const fields = [...new Set(compiled.flatMap((c) => c.fields))].filter((f) => f !== 'score');
    const scoreJoin = modelId
      ? `left join household_score s on s.household_id = f.household_id and s.model_id = ${params.add(modelId, 'uuid')}`
      : 'left join (select null::float8 as score) s on false';
    const [row] = await ctx.db.query<Record<string, unknown>>(
      `select ${[...compiled.map((c, i) => `${c.sql} as r${i}`), 's.score as score', ...fields.map((f) => `f.${f} as v_${f}`)].join(', ')}
       from (${featuresSql('h.id = $1::uuid', 'm.household_id = $1::uuid')}) f ${scoreJoin}`,
      params.values,
    );
    const score = (row?.score as number | null | undefined) ?? null;
    const rules = policy.rules.map((rule, i) => ({
      name: rule.name,
      expression: rule.expression,
      passed: row ? row[`r${i}`] === true : false,
      values: Object.fromEntries(compiled[i].fields.map((f) => [f, f === 'score' ? score : (row?.[`v_${f}`] ?? null)])),
    }));
    const passes = Boolean(row) && rules.every((r) => r.passed);
    answers.push({
      program_id: program.id,
      program_code: program.code,
      program_name: program.name,
      eligible: program.eligible === true,
      passes_rules: passes,
      beyond_quota: passes && program.eligible === false,
      score,
      rules,
    });
  }
  await ctx.audit.recordReads(householdEntries(ctx, 'read', [{ id: householdId, memberIds: members.get(householdId) ?? [], fields: ['program_eligibility', 'score', 'attributes'] }]));
  return answers;
}
