// A small registry with known answers, and the features, scores and eligibility computed from it in plain JS, as
// the independent reference the SQL is checked against (ages are far from the 18 and 60 boundaries on purpose).
import type { TestHub } from '../../helpers/test-hub.js';

type Sex = 'male' | 'female';
interface Member { sex: Sex; born: string; disabilities?: string[]; attributes?: Record<string, unknown> }
export interface SmallHousehold { area: string; attributes: Record<string, unknown>; members: Member[] }

const adult = (sex: Sex, extra: Partial<Member> = {}): Member => ({ sex, born: '1985-03-10', ...extra });
const child = (sex: Sex, extra: Partial<Member> = {}): Member => ({ sex, born: '2016-05-20', ...extra });
const elder = (sex: Sex, extra: Partial<Member> = {}): Member => ({ sex, born: '1940-07-01', ...extra });

/** Eight households over four districts of two regions (createAreas of tests/helpers/registry-data.ts). */
export const SMALL_SET: SmallHousehold[] = [
  { area: 'AM-R1-D1', attributes: { dwelling_wall: 'mud', rooms: 2, assets: ['phone'], income_sources: ['casual_labour'], meals_skipped: 'often' },
    members: [adult('female'), child('male'), child('female'), child('male')] },
  { area: 'AM-R1-D1', attributes: { dwelling_wall: 'brick', rooms: 5, assets: ['tv', 'fridge', 'phone'], income_sources: ['salary'], meals_skipped: 'never' },
    members: [adult('male'), adult('female')] },
  { area: 'AM-R1-D2', attributes: { dwelling_wall: 'wood', rooms: 1, assets: [], income_sources: ['none'] },
    members: [elder('female', { disabilities: ['MOB_SS'] }), child('female')] },
  { area: 'AM-R1-D2', attributes: { dwelling_wall: 'iron_sheet', rooms: 3, assets: ['radio', 'phone'], income_sources: ['farming', 'remittances'] },
    members: [adult('male'), adult('female', { disabilities: ['VIS_SS'] }), child('male'), elder('male')] },
  { area: 'AM-R2-D1', attributes: { dwelling_wall: 'mud', rooms: 1, assets: ['radio'], income_sources: ['transfers'], meals_skipped: 'sometimes' },
    members: [adult('female'), child('female'), child('male'), child('female'), child('male'), elder('female')] },
  { area: 'AM-R2-D1', attributes: { dwelling_wall: 'brick', rooms: 4, assets: ['tv', 'car', 'phone', 'fridge'], income_sources: ['business', 'salary'] },
    members: [adult('male'), adult('female'), child('male')] },
  { area: 'AM-R2-D2', attributes: { rooms: 2, assets: ['bicycle'], income_sources: ['farming'] },
    members: [elder('male', { disabilities: ['HEAR_SS'] }), elder('female')] },
  { area: 'AM-R2-D2', attributes: { dwelling_wall: 'other', rooms: 2, assets: ['phone', 'livestock_small'], income_sources: ['casual_labour'] },
    members: [adult('female'), adult('male'), child('female', { disabilities: ['COG_SS'] })] },
];

export interface Registered extends SmallHousehold { id: string }

/** Registers the set (the first member is the head, SELF); answers them with their ids, in order. */
export async function registerSmallSet(t: TestHub, headers: Record<string, string> = {}): Promise<Registered[]> {
  const out: Registered[] = [];
  for (const [i, h] of SMALL_SET.entries()) {
    const res = await t.post('/api/v1/households', {
      area_code: h.area,
      attributes: h.attributes,
      members: h.members.map((m, j) => ({
        relationship: j === 0 ? 'SELF' : m.born < '1960-01-01' ? 'MTH' : m.born > '2005-01-01' ? 'SON' : 'SPS',
        person: { given_name: `P${i}-${j}`, family_name: 'Test', sex: m.sex, birth_date: m.born, ...(m.disabilities ? { disabilities: m.disabilities } : {}), ...(m.attributes ? { attributes: m.attributes } : {}) },
      })),
    }, { headers });
    if (res.status !== 201) throw new Error(`registering ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    out.push({ ...h, id: res.body.id });
  }
  return out;
}

/** The features of a household, computed in JS. */
export function featuresOf(h: SmallHousehold) {
  const children = h.members.filter((m) => m.born > '2010-01-01').length;
  const elderly = h.members.filter((m) => m.born < '1960-01-01').length;
  const size = h.members.length;
  const working = size - children - elderly;
  return {
    household_size: size,
    children,
    elderly,
    disabled: h.members.filter((m) => m.disabilities?.length).length,
    females: h.members.filter((m) => m.sex === 'female').length,
    dependency_ratio: (children + elderly) / Math.max(working, 1),
    head_female: h.members[0].sex === 'female',
    head_elderly: h.members[0].born < '1960-01-01',
    rooms: h.attributes.rooms as number | undefined,
    dwelling_wall: h.attributes.dwelling_wall as string | undefined,
    assets: (h.attributes.assets ?? []) as string[],
    income_sources: (h.attributes.income_sources ?? []) as string[],
    meals_skipped: h.attributes.meals_skipped as string | undefined,
    area: h.area,
  };
}

export interface TestModel {
  intercept: number;
  threshold?: number | null;
  indicators: { name: string; feature: string; weight?: number; values?: Record<string, number>; default?: number }[];
}

export const MODEL_V1: TestModel = {
  intercept: 10,
  threshold: 8,
  indicators: [
    { name: 'size', feature: 'household_size', weight: -0.5 },
    { name: 'kids', feature: 'children', weight: -0.3 },
    { name: 'old', feature: 'elderly', weight: -0.2 },
    { name: 'disability', feature: 'disabled', weight: -0.4 },
    { name: 'dependency', feature: 'dependency_ratio', weight: -1 },
    { name: 'wall', feature: 'dwelling_wall', values: { brick: 1, mud: -1, iron_sheet: 0.2 }, default: -0.1 },
    { name: 'assets', feature: 'assets', values: { tv: 0.8, fridge: 1.2, phone: 0.3, car: 2 } },
    { name: 'income', feature: 'income_sources', values: { salary: 1.5, business: 1, transfers: -0.5 } },
    { name: 'rooms', feature: 'rooms', weight: 0.25 },
    { name: 'female_head', feature: 'head_female', weight: -0.6 },
  ],
};

type ModelDef = TestModel;

/** The score and breakdown of a household under a model, computed in JS from the definition. */
export function referenceScore(model: ModelDef, h: SmallHousehold): { score: number; breakdown: Record<string, number> } {
  const f = featuresOf(h) as Record<string, unknown>;
  const breakdown: Record<string, number> = {};
  for (const ind of model.indicators) {
    const value = f[ind.feature];
    if (ind.weight !== undefined) breakdown[ind.name] = ind.weight * (typeof value === 'boolean' ? (value ? 1 : 0) : ((value as number | undefined) ?? 0));
    else if (Array.isArray(value)) breakdown[ind.name] = Object.entries(ind.values!).reduce((sum, [k, p]) => sum + (value.includes(k) ? p : 0), 0);
    else breakdown[ind.name] = value !== undefined && ind.values![value as string] !== undefined ? ind.values![value as string] : (ind.default ?? 0);
  }
  return { score: model.intercept + Object.values(breakdown).reduce((a, b) => a + b, 0), breakdown };
}
