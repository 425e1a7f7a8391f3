import t from 'tap';
import { optionClicks } from '../../../envs/webshop/expert.js';
import type { Goal } from '../../../envs/webshop/goals.js';
import { NounSource, taggedNouns } from '../../../envs/webshop/nouns.js';
import type { Product } from '../../../envs/webshop/product.js';
import { attributeMatches, getReward, normalizeColor, optionMatches, tokenSetRatio, typeReward } from '../../../envs/webshop/reward.js';
import { goalQuery } from '../../../envs/webshop/session.js';
import { Shop } from '../../../envs/webshop/shop.js';
import { syntheticCatalog } from './fixture.js';

t.test('normalize_color: first COLOR_SET word found as a substring; tuples by element equality', async (t) => {
  t.equal(normalizeColor('light blue'), 'blue');
  t.equal(normalizeColor('dark grey'), 'dark');
  t.equal(normalizeColor('standard'), 'tan');
  t.equal(normalizeColor('x-large'), 'x-large');
  t.same(normalizeColor(['color', 'red']), 'red');
  t.same(normalizeColor(['color', 'dark red']), ['color', 'dark red']);
});

t.test('token_set_ratio: subset gives 100, punctuation ignored, tuples compared as Python prints them', async (t) => {
  t.equal(tokenSetRatio('gluten free', 'gluten-free snacks'), 100);
  t.equal(tokenSetRatio('x-large', 'large'), 100);
  t.ok(tokenSetRatio('red', 'striped') <= 85);
  t.ok(tokenSetRatio('red', 'blue') < 50);
  t.ok(tokenSetRatio('natural ingredient', 'natural ingredients') > 85);
  t.equal(tokenSetRatio('red', ['color', 'red']), 100, "'red' is a token subset of \"('color', 'red')\"");
});

const product = (over: Partial<Product>): Product => ({
  asin: 'B0',
  name: 'Acme Tea Bag',
  category: 'grocery',
  query: 'tea',
  product_category: 'Grocery › Beverages › Tea',
  Title: 'Acme Tea Bag',
  Description: '',
  BulletPoints: [],
  Price: '$1.0',
  pricing: [1],
  options: [],
  Attributes: [],
  instruction_text: null,
  instruction_attributes: null,
  ...over,
});
const goal = (over: Partial<Goal>): Goal => ({
  asin: 'G0',
  category: 'grocery',
  query: 'tea',
  name: 'Acme Tea Bag',
  product_category: 'Grocery › Beverages › Tea',
  instruction_text: 'tea',
  attributes: [],
  price_upper: 10,
  goal_options: [],
  weight: 1,
  ...over,
});
const sidecar = (m: Record<string, string[]>) => {
  const n = new NounSource();
  (n as unknown as { sidecar: Map<string, string[]> }).sidecar = new Map(Object.entries(m));
  return n;
};

t.test('attribute matches: fuzzy against Attributes, else verbatim (case-sensitive goal) in title, bullets, description', async (t) => {
  const g = goal({ attributes: ['natural ingredients', 'long lasting', 'Gift Box', 'bpa free'] });
  t.equal(attributeMatches(product({ Attributes: ['natural ingredient'] }), g), 1);
  t.equal(attributeMatches(product({ Description: 'Very LONG LASTING.' }), g), 1, 'description is lowercased');
  t.equal(attributeMatches(product({ Title: 'Acme Gift Box' }), g), 0, 'the goal attribute is not lowercased');
  t.equal(attributeMatches(product({ BulletPoints: ['safe', 'bpa free'] }), g), 1);
  t.equal(attributeMatches(product({ Attributes: ['natural ingredient', 'long lasting'], Description: 'bpa free' }), g), 3);
});

t.test('option matches after normalize_color, each goal option at most once', async (t) => {
  t.equal(optionMatches(['light blue', 'large'], ['sky blue', 'x-large']), 2);
  t.equal(optionMatches(['red'], ['blue']), 0);
  t.equal(optionMatches(['dark grey'], ['dark green']), 1, 'both normalise to "dark"');
  t.equal(optionMatches([], ['red']), 0);
  t.equal(optionMatches(['red'], [['color', 'red']]), 1, 'synthetic (name, value) goal options');
});

t.test('r_type branches from query, breadcrumb and title-noun matches', async (t) => {
  const nouns = sidecar({
    G0: ['acme', 'tea', 'bag', 'box', 'set', 'gift', 'cup', 'lid', 'tray', 'mug', 'jar'],
    B1: ['acme', 'tea', 'bag'],
    B2: ['acme', 'tea', 'spoon'],
    B3: ['acme'],
    B4: ['spoon'],
    G5: [],
  });
  const g = goal({});
  const far = { query: 'spoons', product_category: 'Kitchen › Spoons' };
  t.same(typeReward(product({ asin: 'B1', ...far }), g, nouns), { r_type: 1, query_match: false, category_match: false, title_score: 3 / 11 });
  t.same(typeReward(product({ asin: 'B2', ...far }), g, nouns).r_type, 0.5, 'title 2/11, nothing else matches: 0.5');
  t.same(typeReward(product({ asin: 'B2', query: 'tea', product_category: 'x' }), g, nouns).r_type, 1, 'a query match keeps 1');
  t.same(typeReward(product({ asin: 'B3', ...far }), g, nouns).r_type, 0.1, 'title 1/11 < 0.1');
  t.same(typeReward(product({ asin: 'B3', query: 'tea', product_category: 'x' }), g, nouns).r_type, 0.1, 'a query match cannot lift a title score under 0.1');
  t.same(typeReward(product({ asin: 'B4', ...far }), g, nouns).r_type, 0, 'no shared noun');
  t.same(typeReward(product({ asin: 'B3', query: 'x', product_category: 'Grocery › Beverages › Coffee' }), goal({ asin: 'G5' }), nouns), { r_type: 1, query_match: false, category_match: true, title_score: 0.2 }, 'goal without nouns: 0.2; two shared breadcrumb entries');
  t.same(typeReward(product({ asin: 'B3', ...far }), goal({ asin: 'G5' }), nouns).r_type, 0.5, 'no match at 0.2: 0.5');
});

t.test('get_reward: r_type × (attributes + options + price) / (A + O + 1)', async (t) => {
  const nouns = sidecar({ B0: ['acme'], G0: ['acme'] });
  const g = goal({ attributes: ['organic'], goal_options: ['red', 'large'], price_upper: 20 });
  const p = product({ Attributes: ['organic'] });
  t.equal(getReward(p, g, 19.99, ['red', 'large'], nouns).reward, 1);
  t.equal(getReward(p, g, 20.01, ['red', 'large'], nouns).reward, 0.75, 'over budget');
  t.equal(getReward(p, g, 5, ['blue'], nouns).reward, 0.5, 'options missing');
  t.equal(getReward(product({}), goal({ price_upper: 20 }), 5, [], nouns).reward, 1, 'no attributes, no options, price met');
  const logged = getReward(product({}), goal({ attributes: ['organic'], price_upper: 20 }), 5, [], nouns);
  t.equal(logged.reward, 0.5, 'r_att 0, no options, price met: (0+0+1)/2 as in WebShop logs');
});

t.test('the POS-tagger fallback finds the nouns of product names (tagger-dependent values)', async (t) => {
  const nouns = taggedNouns('Acme Organic Green Tea Bags, 100 Count');
  t.ok(nouns.includes('tea') && nouns.includes('bags'), nouns.join(' '));
  const src = new NounSource();
  t.same(src.nouns('X', 'Name 1'), src.nouns('Y', 'Name 1'), 'memoised by name');
});

t.test('synthetic catalogs: every reward branch fires on the designed distractors', async (t) => {
  const { dir, manifest } = syntheticCatalog(500, 3);
  const shop = Shop.open({ dataDir: dir });
  const byAsin = new Map(shop.goals.map((g) => [g.asin, g]));
  const seen = { rType: new Set<number>(), attrShort: 0, optionShort: 0, overBudget: 0, pages: new Set<number>(), beyond50: 0 };
  for (const f of manifest.families) {
    const g = byAsin.get(f.target);
    if (!g) continue;
    const buy = (asin: string) => {
      const doc = shop.catalog.docOf(asin)!;
      const p = shop.catalog.product(doc);
      return getReward(p, g, shop.prices[doc], optionClicks(p.options, g), shop.nouns);
    };
    t.equal(buy(f.target).reward, 1, 'the target with its options scores 1');
    const a = buy(f.distractors.attrShort);
    if (a.attr_matches === g.attributes.length - 1 && a.r_type === 1) seen.attrShort++;
    const o = buy(f.distractors.wrongOption);
    if (o.option_matches < g.goal_options.length && o.attr_matches === g.attributes.length) seen.optionShort++;
    const b = buy(f.distractors.overBudget);
    if (!b.price_ok && b.r_type === 1) seen.overBudget++;
    for (const role of ['typeHalf', 'typeTenth', 'typeZero']) seen.rType.add(buy(f.distractors[role]).r_type);
    t.equal(buy(f.distractors.typeHalf).r_type, 0.5);
    t.equal(buy(f.distractors.typeTenth).r_type, 0.1);
    t.equal(buy(f.distractors.typeZero).reward, 0);
    const rank = shop.search(goalQuery(g)).indexOf(shop.catalog.docOf(f.target)!);
    if (rank < 0) seen.beyond50++;
    else seen.pages.add(Math.floor(rank / 10) + 1);
  }
  t.same([...seen.rType].sort(), [0, 0.1, 0.5]);
  t.ok(seen.attrShort > 0 && seen.optionShort > 0 && seen.overBudget > 0, JSON.stringify(seen));
  t.ok(seen.pages.has(1) && [...seen.pages].some((p) => p >= 2), 'targets on page 1 and on later pages');
  t.ok(seen.beyond50 > 0, 'some targets are past the top 50');
});
