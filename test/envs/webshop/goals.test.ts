import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitIndices } from '../../../envs/webshop/goals.js';
import { PyRandom } from '../../../envs/webshop/pyrandom.js';
import { Shop } from '../../../envs/webshop/shop.js';
import { handCatalog, TEA } from './fixture.js';

t.test('human goals: one per instruction with attributes, price clause, CPython RNG order, shuffle 233', async (t) => {
  const dir = handCatalog();
  const shop = Shop.open({ dataDir: dir, priceSeed: 0 });
  t.equal(shop.goals.length, 2, 'instructions without attributes and asins outside the catalog are skipped');
  // The same RNG calls by hand: uniform for the one ranged product, then one sample for the tea goal.
  const rng = new PyRandom(0);
  const price = rng.uniform(10, 20);
  t.equal(shop.prices[shop.catalog.docOf(TEA)!], price);
  t.equal(shop.prices[shop.catalog.docOf('B000TEST02')!], 1299);
  const range = [10, 20, 30, 40, 50].filter((p) => p > price).slice(0, 4);
  const upper = Math.max(...rng.sample(range, 2));
  const order = [0, 1];
  rng.seed(233);
  rng.shuffle(order);
  const built = [
    { asin: TEA, text: `i want organic tea bags in light blue, and price lower than ${upper.toFixed(2)} dollars`, upper },
    { asin: 'B000TEST02', text: 'a big kettle', upper: 1000000 },
  ];
  const expected = order.map((i) => built[i]);
  t.same(
    shop.goals.map((g) => ({ asin: g.asin, text: g.instruction_text, upper: g.price_upper })),
    expected,
  );
  const tea = shop.goals.find((g) => g.asin === TEA)!;
  t.same([tea.query, tea.category, tea.name, tea.product_category, tea.attributes, tea.goal_options, tea.weight], ['tea bags', 'grocery', 'Acme Organic Tea Bag Set', 'Grocery › Beverages › Tea', ['organic', 'caffeine free'], ['light blue'], 1]);
  const other = Shop.open({ dataDir: dir, priceSeed: 5 });
  t.not(other.prices[other.catalog.docOf(TEA)!], price, 'the price seed changes range prices');
});

t.test('synthetic goals: one per option combination of ins_v2-instructed products, dict options', async (t) => {
  const shop = Shop.open({ dataDir: handCatalog(), humanGoals: false });
  // The tea product: color (3 values) × pattern (2 values).
  t.equal(shop.goals.length, 6);
  const texts = shop.goals.map((g) => g.instruction_text.replace(/, and price lower than .*$/, '')).sort();
  t.same(texts[0], 'Find me tea with color: light blue, and pattern: red');
  t.ok(shop.goals.every((g) => Array.isArray(g.goal_options[0]) && g.goal_options.length === 2));
  t.ok(shop.goals.every((g) => g.weight === 1 / 6), 'weight: mean over attributes of 1 / goals holding it');
});

t.test('splits: WebShop ranges and ETO index files', async (t) => {
  const dir = handCatalog();
  t.same(splitIndices('test', 2000, dir).length, 500);
  t.same(splitIndices('dev', 2000, dir)[0], 500);
  t.same(splitIndices('train', 2000, dir), Array.from({ length: 500 }, (_, i) => 1500 + i));
  t.same(splitIndices('all', 3, dir), [0, 1, 2]);
  t.same(splitIndices('train', 100, dir), []);
  t.throws(() => splitIndices('eto-train', 10, dir), { code: 'NO_SPLIT_FILE' });
  writeFileSync(join(dir, 'train_indices.json'), '[3, 1, 3]');
  t.same(splitIndices('eto-train', 10, dir), [3, 1, 3]);
  writeFileSync(join(dir, 'test_indices.json'), '[30]');
  t.throws(() => splitIndices('eto-test', 10, dir), { code: 'BAD_SPLIT' });
  t.throws(() => splitIndices('nope', 10, dir), { code: 'BAD_SPLIT' });
});
