// Checks against a user's downloaded WebShop data; set WEBSHOP_DATA_DIR to the folder holding items_shuffle*.json,
// items_ins_v2*.json and items_human_ins.json (optionally human_goals.json from WebShop's baseline_models/data and
// ETO's train_indices.json / test_indices.json). Skipped when unset.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitIndices } from '../../../envs/webshop/goals.js';
import { runExpert } from '../../../envs/webshop/expert.js';
import { Shop } from '../../../envs/webshop/shop.js';

const dataDir = process.env.WEBSHOP_DATA_DIR;

t.test('real WebShop data', { skip: dataDir ? false : 'WEBSHOP_DATA_DIR not set' }, async (t) => {
  const shop = Shop.open({ dataDir: dataDir! });
  const full = existsSync(join(dataDir!, 'items_shuffle.json'));
  if (full) {
    t.equal(shop.catalog.size > 1_000_000, true, 'the full catalog loads');
    t.equal(shop.goals.length, 12087, '12,087 human goals');
    t.match(shop.goals[0].instruction_text, /^i need a long clip-in hair extension which is natural looking/);
  }
  const humanGoals = join(dataDir!, 'human_goals.json');
  if (existsSync(humanGoals)) {
    const expected = JSON.parse(readFileSync(humanGoals, 'utf8')) as string[];
    const got = shop.goals.map((g) => g.instruction_text.replace(/, and price lower than [\d.]+ dollars$/, '').toLowerCase().replace(/["']/g, ''));
    let same = 0;
    got.forEach((g, i) => (g === expected[i] ? same++ : undefined));
    t.equal(same, expected.length, 'goals in WebShop’s shuffled order');
  }
  for (const split of ['eto-train', 'eto-test']) {
    if (existsSync(join(dataDir!, `${split.slice(4)}_indices.json`))) t.ok(splitIndices(split, shop.goals.length, dataDir!).length > 0, `${split} resolves`);
  }
  const tr = runExpert(shop, 0);
  if (tr) t.equal(tr.reward, 1, 'the expert buys the target of goal 0');
});
