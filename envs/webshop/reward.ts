/**
 * WebShop's `get_reward`: r_type × (attribute matches + option matches + price ok) / (A + O + 1), with thefuzz's
 * token_set_ratio (fuzzball, same processing) and `normalize_color`.
 */
import { token_set_ratio } from 'fuzzball';
import type { Goal } from './goals.js';
import type { NounSource } from './nouns.js';
import type { Product } from './product.js';
import { pyTupleRepr } from './pyformat.js';

/** WebShop's COLOR_SET, in its order (the first one found as a substring wins). */
export const COLOR_SET = (
  'alabaster apricot aqua ash asphalt azure banana beige black blue blush bordeaux bronze brown burgundy camel camo ' +
  'caramel champagne charcoal cheetah chestnut chocolate christmas coffee cognac copper coral cranberry cream crystal ' +
  'dark denim eggplant elephant espresso fuchsia gold granite grape graphite grass gray green grey heather indigo ' +
  'ivory ivy khaki lavender lemon leopard light lilac lime magenta maroon mauve merlot midnight mint mocha multicolor ' +
  'mushroom mustard natural navy nude olive orange peach pewter pink plum purple rainbow red rose royal rust sand ' +
  'sapphire seashell silver skull slate steel stone stonewash sunflower tan taupe teal tiger turquoise violet walnut ' +
  'wheat white wine yellow'
).split(' ');

/** A purchased or goal option: a value, or a synthetic goal's (name, value) tuple. */
type OptionValue = string | [string, string];

/** `normalize_color`: on a string, substring search; on a tuple, Python's `in` is element equality. */
export function normalizeColor(option: OptionValue): OptionValue {
  for (const color of COLOR_SET) {
    if (typeof option === 'string' ? option.includes(color) : option.includes(color)) return color;
  }
  return option;
}

/** thefuzz 0.20's token_set_ratio; tuples are compared as Python prints them. */
export function tokenSetRatio(a: OptionValue, b: OptionValue): number {
  const s = (v: OptionValue) => (typeof v === 'string' ? v : pyTupleRepr(v));
  return token_set_ratio(s(a), s(b));
}

export interface RewardInfo {
  reward: number;
  r_type: number;
  query_match: boolean;
  category_match: boolean;
  title_score: number;
  attr_matches: number;
  option_matches: number;
  price_ok: boolean;
}

function breadcrumb(s: string): Set<string> {
  return new Set(s.split('›').map((x) => x.trim()));
}

/** r_type from query, breadcrumb and title-noun matches. */
export function typeReward(product: Product, goal: Goal, nouns: NounSource): Pick<RewardInfo, 'r_type' | 'query_match' | 'category_match' | 'title_score'> {
  const queryMatch = product.query === goal.query;
  const goalCats = breadcrumb(goal.product_category);
  const categoryMatch = [...breadcrumb(product.product_category)].filter((c) => goalCats.has(c)).length >= 2;
  const bought = new Set(nouns.nouns(product.asin, product.name));
  const desired = nouns.nouns(goal.asin, goal.name);
  const shared = [...new Set(desired)].filter((n) => bought.has(n)).length;
  const titleScore = desired.length === 0 ? 0.2 : shared / desired.length;
  let rType = 1;
  if (!(queryMatch || categoryMatch || titleScore > 0.2)) rType = 0.5;
  if (titleScore < 0.1) rType = 0.1;
  if (titleScore === 0) rType = 0;
  return { r_type: rType, query_match: queryMatch, category_match: categoryMatch, title_score: titleScore };
}

/** Goal attributes matched by a product attribute (token_set_ratio > 85) or found verbatim in its texts. */
export function attributeMatches(product: Product, goal: Goal): number {
  const title = product.Title.toLowerCase();
  const bullets = product.BulletPoints.join(' ').toLowerCase();
  const description = product.Description.toLowerCase();
  let matches = 0;
  for (const g of goal.attributes) {
    if (product.Attributes.some((p) => tokenSetRatio(p, g) > 85) || title.includes(g) || bullets.includes(g) || description.includes(g)) matches++;
  }
  return matches;
}

/** Goal options matched (token_set_ratio > 85 after normalize_color) by some purchased value. */
export function optionMatches(purchased: string[], goalOptions: Goal['goal_options']): number {
  const bought = purchased.map(normalizeColor);
  let matches = 0;
  for (const g of goalOptions) {
    const goal = normalizeColor(g);
    if (bought.some((p) => tokenSetRatio(p, goal) > 85)) matches++;
  }
  return matches;
}

/** The reward of buying `product` at reward price `price` with option values `purchased` (click order). */
export function getReward(product: Product, goal: Goal, price: number, purchased: string[], nouns: NounSource): RewardInfo {
  const type = typeReward(product, goal, nouns);
  const priceOk = price <= goal.price_upper;
  const attr = attributeMatches(product, goal);
  const opt = optionMatches(purchased, goal.goal_options);
  const total = (attr + opt + (priceOk ? 1 : 0)) / (goal.attributes.length + goal.goal_options.length + 1);
  return { reward: total * type.r_type, ...type, attr_matches: attr, option_matches: opt, price_ok: priceOk };
}
