/**
 * WebShop's goals: reward prices (`generate_product_prices`), human goals (`get_human_goals`) or synthetic ones
 * (`get_synthetic_goals`), then `random.seed(233); random.shuffle(goals)` — the same CPython RNG calls in the
 * same order. Upstream never seeds before loading; here `priceSeed` seeds that first stretch, so range prices
 * and price limits are reproducible (the goal order does not depend on it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Catalog } from './catalog.js';
import { PyRandom } from './pyrandom.js';

export interface Goal {
  asin: string;
  category: string;
  query: string;
  name: string;
  product_category: string;
  instruction_text: string;
  attributes: string[];
  price_upper: number;
  /** Human goals: option values; synthetic goals: (name, value) pairs of a dict. */
  goal_options: string[] | [string, string][];
  weight: number;
}

export interface HumanInstruction {
  instruction: string;
  instruction_attributes: string[];
  instruction_options: string[];
}

/** WebShop's PRICE_RANGE: 10.0, 20.0, …, 990.0. */
const PRICE_RANGE = Array.from({ length: 99 }, (_, i) => 10 * (i + 1));

/** Reward prices in catalog order: the single price, or `random.uniform(lo, hi)` for a range. */
export function rewardPrices(catalog: Catalog, rng: PyRandom): Float64Array {
  const n = catalog.size;
  const prices = new Float64Array(n);
  for (let d = 0; d < n; d++) {
    const lo = catalog.ranges[2 * d];
    const hi = catalog.ranges[2 * d + 1];
    prices[d] = Number.isNaN(hi) ? lo : rng.uniform(lo, hi);
  }
  return prices;
}

/** The price limit and clause of a goal: the larger of two of the first four multiples of 10 above the price. */
function priceLimit(price: number, rng: PyRandom): { upper: number; text: string } {
  const range = PRICE_RANGE.filter((p) => p > price).slice(0, 4);
  if (range.length < 2) return { upper: 1000000, text: '' };
  const upper = Math.max(...rng.sample(range, 2));
  return { upper, text: `, and price lower than ${upper.toFixed(2)} dollars` };
}

/** Python's `str.strip('.')`. */
function stripDots(s: string): string {
  return s.replace(/^\.+|\.+$/g, '');
}

/** One goal per (product, human instruction) with attributes, in catalog order. */
export function humanGoals(catalog: Catalog, prices: Float64Array, human: Map<string, HumanInstruction[]>, rng: PyRandom): Goal[] {
  const docs = [...human.keys()].map((a) => catalog.docOf(a)).filter((d): d is number => d !== undefined);
  docs.sort((a, b) => a - b);
  const goals: Goal[] = [];
  for (const doc of docs) {
    const p = catalog.product(doc);
    for (const ins of human.get(p.asin) ?? []) {
      if (!ins.instruction_attributes || ins.instruction_attributes.length === 0) continue;
      const { upper, text } = priceLimit(prices[doc], rng);
      goals.push({
        asin: p.asin,
        category: p.category,
        query: p.query,
        name: p.name,
        product_category: p.product_category,
        instruction_text: stripDots(ins.instruction) + text,
        attributes: ins.instruction_attributes,
        price_upper: upper,
        goal_options: ins.instruction_options ?? [],
        weight: 1,
      });
    }
  }
  return goals;
}

/** One goal per option combination of each product with an items_ins_v2 instruction, in catalog order. */
export function syntheticGoals(catalog: Catalog, prices: Float64Array, rng: PyRandom): Goal[] {
  const goals: Goal[] = [];
  const attrCounts = new Map<string, number>();
  for (let doc = 0; doc < catalog.size; doc++) {
    const p = catalog.product(doc);
    if (p.instruction_text === null || p.instruction_text === undefined) continue;
    const attributes = p.instruction_attributes ?? [];
    const { upper, text } = priceLimit(prices[doc], rng);
    const groups = new Map(p.options);
    const names = [...groups.keys()].sort();
    let combos: string[][] = [[]];
    for (const name of names) combos = combos.flatMap((c) => (groups.get(name) ?? []).map((v) => [...c, v]));
    for (const combo of combos) {
      const pairs = combo.map((v, i) => [names[i], v] as [string, string]);
      const optionText = pairs.length ? ' with ' + pairs.map(([k, v]) => `${k}: ${v}`).join(', and ') : '';
      goals.push({
        asin: p.asin,
        category: p.category,
        query: p.query,
        name: p.Title,
        product_category: p.product_category,
        instruction_text: `${p.instruction_text}${optionText}${text}`,
        attributes,
        price_upper: upper,
        goal_options: pairs,
        weight: 0,
      });
      for (const a of attributes) attrCounts.set(a, (attrCounts.get(a) ?? 0) + 1);
    }
  }
  for (const g of goals) g.weight = g.attributes.reduce((s, a) => s + 1 / (attrCounts.get(a) ?? 1), 0) / g.attributes.length;
  return goals;
}

/** Reads items_human_ins.json (asin → instructions). */
export function readHumanInstructions(path: string): Map<string, HumanInstruction[]> {
  return new Map(Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, HumanInstruction[]>));
}

/** Prices and shuffled goals of a catalog, with the RNG calls in upstream's order. */
export function makeGoals(
  catalog: Catalog,
  human: Map<string, HumanInstruction[]> | null,
  priceSeed: number,
): { prices: Float64Array; goals: Goal[] } {
  const rng = new PyRandom(priceSeed);
  const prices = rewardPrices(catalog, rng);
  const goals = human ? humanGoals(catalog, prices, human, rng) : syntheticGoals(catalog, prices, rng);
  rng.seed(233);
  rng.shuffle(goals);
  return { prices, goals };
}

export type SplitName = 'train' | 'dev' | 'test' | 'eto-train' | 'eto-test' | 'all';

/**
 * Goal indices of a split. WebShop: test = 0–499, dev = 500–1499, train = 1500 and up. ETO: the
 * `train_indices.json` / `test_indices.json` files of ETO's eval_agent/data/webshop, looked up in the data folder.
 */
export function splitIndices(split: string, goalCount: number, dataDir: string): number[] {
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, Math.min(b, goalCount) - a) }, (_, i) => a + i);
  switch (split) {
    case 'test':
      return range(0, 500);
    case 'dev':
      return range(500, 1500);
    case 'train':
      return range(1500, goalCount);
    case 'all':
      return range(0, goalCount);
    case 'eto-train':
    case 'eto-test': {
      const path = join(dataDir, `${split.slice(4)}_indices.json`);
      if (!existsSync(path)) throw new InvalidArgumentError('NO_SPLIT_FILE', `split ${split} needs ${path} (from ETO's eval_agent/data/webshop)`);
      const idx = JSON.parse(readFileSync(path, 'utf8')) as number[];
      const bad = idx.find((i) => !Number.isInteger(i) || i < 0 || i >= goalCount);
      if (bad !== undefined) throw new InvalidArgumentError('BAD_SPLIT', `${path}: goal index ${bad} is outside 0..${goalCount - 1}`);
      return idx;
    }
    default:
      throw new InvalidArgumentError('BAD_SPLIT', `unknown webshop split "${split}" (train, dev, test, eto-train, eto-test, all)`);
  }
}
