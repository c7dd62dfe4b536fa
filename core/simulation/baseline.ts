// The policy a simulation starts from: a program's rules, quota, budget and benefits with its published model's
// definition (intercept, threshold, indicators and their weights). Readable with reports.read, the scope that runs
// simulations, so a policymaker sees what a scenario's changes are changes from (the models API needs
// assessment.manage). Policy, not personal data: not audited per read.
import type { ModelDefinition } from '../assessment/model.js';
import { getModel } from '../assessment/service.js';
import type { Db } from '../db/db.js';
import { getProgram, type Program } from '../programs/service.js';

export interface ProgramPolicy {
  program_id: string;
  code: string;
  name: string;
  status: Program['status'];
  version: number;
  rules: Program['rules'];
  max_households: number | null;
  budget: number | null;
  benefit_per_household: number;
  benefit_per_member: number;
  /** The model the program ranks by, at its published version; null without a model or before its first publish. */
  model: { id: string; code: string; name: string; version: number; definition: ModelDefinition } | null;
}

export async function programPolicyInForce(db: Db, programId: string): Promise<ProgramPolicy> {
  const program = await getProgram(db, programId);
  const model = program.model_id ? await getModel(db, program.model_id) : null;
  const published = model?.versions.find((v) => v.version === model.published_version);
  return {
    program_id: program.id,
    code: program.code,
    name: program.name,
    status: program.status,
    version: program.version,
    rules: program.rules,
    max_households: program.max_households,
    budget: program.budget,
    benefit_per_household: program.benefit_per_household,
    benefit_per_member: program.benefit_per_member,
    model: model && published ? { id: model.id, code: model.code, name: model.name, version: published.version, definition: published.definition } : null,
  };
}
