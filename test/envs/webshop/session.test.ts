import t from 'tap';
import { parseAction, WebShopSession } from '../../../envs/webshop/session.js';
import { Shop } from '../../../envs/webshop/shop.js';
import { handCatalog, TEA } from './fixture.js';

const shop = Shop.open({ dataDir: handCatalog() });
const goalOf = (asin: string) => shop.goals.findIndex((g) => g.asin === asin);
const teaGoal = goalOf(TEA);
const instr = shop.goals[teaGoal].instruction_text;
const header = `Instruction: [SEP] ${instr} [SEP] Back to Search`;

t.test('parse_action: greedy name[arg] at the start of the first line', async (t) => {
  t.same(parseAction('click[Buy Now]'), { name: 'click', arg: 'Buy Now' });
  t.same(parseAction('search[a [b] c] trailing'), { name: 'search[a ', arg: 'b] c' });
  t.same(parseAction('click[x]\nclick[y]'), { name: 'click', arg: 'x' });
  t.same(parseAction('search[]'), { name: 'search[]', arg: null });
  t.same(parseAction('look'), { name: 'look', arg: null });
});

t.test('search page, results, pagination without an upper bound, < Prev', async (t) => {
  const s = new WebShopSession(shop);
  t.throws(() => s.step('search[tea]'), { code: 'NOT_RESET' });
  t.throws(() => s.reset(shop.goals.length), { code: 'BAD_GOAL' });
  t.equal(s.reset(teaGoal), `WebShop [SEP] Instruction: [SEP] ${instr} [SEP] Search`);
  t.same([...s.clickables().keys()], [], 'nothing to click on the search page');
  t.equal(s.step('click[search]').observation, s.observation(), '"search" itself is not clickable');
  const r = s.step('search[Tea]');
  t.same([r.reward, r.done], [0, false]);
  const hits = shop.search('tea');
  t.equal(hits.length, 32);
  const first = hits.slice(0, 10).map((d) => shop.catalog.product(d));
  t.equal(r.observation, `${header} [SEP] Page 1 (Total results: 32) [SEP] Next > [SEP] ${first.map((p) => `${p.asin} [SEP] ${p.Title} [SEP] ${p.Price}`).join(' [SEP] ')}`);
  t.same([...s.clickables().keys()], ['back to search', 'next >', ...first.map((p) => p.asin.toLowerCase())]);
  t.equal(s.step('click[< prev]').observation, r.observation, 'no < Prev on page 1: a silent no-op');
  const p2 = s.step('click[Next >]').observation;
  t.match(p2, `${header} [SEP] Page 2 (Total results: 32) [SEP] < Prev [SEP] Next > [SEP] `);
  t.same([...s.clickables().keys()].slice(0, 3), ['back to search', '< prev', 'next >']);
  for (let i = 0; i < 4; i++) s.step('click[next >]');
  t.equal(s.observation(), `${header} [SEP] Page 6 (Total results: 32) [SEP] < Prev [SEP] Next > [SEP]`.replace(/ \[SEP\]$/, ''), 'page 6 is empty');
  s.step('click[< prev]');
  t.match(s.observation(), 'Page 5 (Total results: 32)');
  t.equal(s.step('search[the of and]').observation, `${header} [SEP] Page 1 (Total results: 0) [SEP] Next >`, 'only stopwords: no results');
  s.step('click[back to search]');
  t.equal(s.observation(), `WebShop [SEP] Instruction: [SEP] ${instr} [SEP] Search`);
});

t.test('item page, options, sub-pages, < Prev rules, search from an item page, Buy Now', async (t) => {
  const s = new WebShopSession(shop);
  s.reset(teaGoal);
  s.step('search[acme organic tea bag]');
  t.ok(s.clickables().has(TEA.toLowerCase()));
  t.equal(s.step('click[b000test99]').observation, s.observation(), 'unknown asin: no-op');
  const item = s.step(`click[${TEA}]`).observation;
  t.equal(
    item,
    `${header} [SEP] < Prev [SEP] color [SEP] light blue [SEP] navy | white [SEP] red [SEP] pattern [SEP] red [SEP] striped [SEP] Acme Organic Tea Bag Set [SEP] Price: $10.0 to $20.0 [SEP] Rating: N.A. [SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now`,
  );
  t.same([...s.clickables().keys()], ['back to search', '< prev', 'description', 'features', 'reviews', 'buy now', 'light blue', 'navy | white', 'red', 'striped']);
  s.step('click[red]');
  t.same(s.page.options, [['pattern', 'red']], 'a value shared by two groups selects the later group');
  s.step('click[navy | white]');
  s.step('click[light blue]');
  t.same(s.page.options, [['pattern', 'red'], ['color', 'light blue']], 're-choosing a group keeps its first position');
  t.equal(s.observation(), item, 'text mode does not mark chosen options');
  t.equal(s.step('click[description]').observation, `${header} [SEP] < Prev [SEP] `, 'whitespace-only description: one empty segment');
  s.step('click[< prev]');
  t.same(s.page.kind, 'item');
  t.same(s.page.options.length, 2, '< Prev from a sub-page keeps options');
  t.equal(s.step('click[features]').observation, `${header} [SEP] < Prev [SEP] Bullet one [SEP] Bullet four`, 'newline-whitespace and empty bullets give no segment');
  t.equal(s.step('click[buy now]').observation, s.observation(), 'Buy Now is not on sub-pages');
  s.step('click[< prev]');
  t.equal(s.step('click[reviews]').observation, `${header} [SEP] < Prev`, 'reviews are always empty');
  s.step('click[< prev]');
  s.step('click[< prev]');
  t.same([s.page.kind, s.page.page, s.page.options], ['results', 1, []], '< Prev from the item: results at the same page, options cleared');
  s.step(`click[${TEA}]`);
  s.step('click[striped]');
  s.step('search[kettle]');
  t.same([s.page.kind, s.page.options, s.page.item], ['results', [], -1], 'search works from an item page and clears options');
  s.step(`search[acme organic tea bag]`);
  s.step(`click[${TEA}]`);
  s.step('click[light blue]');
  const bought = s.step('click[Buy Now]');
  t.equal(bought.done, true);
  t.ok(bought.reward > 0);
  t.equal(bought.observation, `Thank you for shopping with us! [SEP] Your score (min 0.0, max 1.0) [SEP] ${bought.reward}`);
  t.same(bought.rewardInfo?.option_matches, 1);
  t.same(s.step('click[< prev]'), { observation: bought.observation, reward: 0, done: true }, 'steps after the purchase do nothing');
  const snap = s.save();
  const s2 = new WebShopSession(shop);
  s2.load(snap);
  t.equal(s2.observation(), s.observation());
});

t.test('empty descriptions give no node, newline-whitespace is dropped', async (t) => {
  const s = new WebShopSession(shop);
  s.reset(teaGoal);
  s.step('search[big tea kettle]');
  s.step('click[b000test02]');
  t.equal(s.step('click[description]').observation, `${header} [SEP] < Prev`);
  s.step('search[plain mug]');
  s.step('click[b000test03]');
  t.match(s.observation(), '[SEP] Plain Mug [SEP] Price: $100.0 [SEP]', 'no options, no price: $100.0');
  t.equal(s.step('click[description]').observation, `${header} [SEP] < Prev`);
  t.equal(s.step('click[< prev]').observation.includes('Buy Now'), true);
});

t.test('special searches: <r> gives random results, filters are no-ops', async (t) => {
  const s = new WebShopSession(shop);
  s.reset(teaGoal);
  const before = s.observation();
  t.equal(s.step('search[<c> grocery]').observation, before);
  t.equal(s.step('search[<a> organic]').observation, before);
  t.match(s.step('search[<r>]').observation, 'Page 1 (Total results: 34)');
});

t.test("the item page of ETO's in-context example, as its text shows it", async (t) => {
  const s = new WebShopSession(shop);
  s.reset(teaGoal);
  s.step("search[l'eau d'issey]");
  const item = s.step('click[b000icl001]').observation;
  t.ok(
    item.endsWith(
      "[SEP] < Prev [SEP] size [SEP] 2.5 fl oz [SEP] 6.76 fl oz (pack of 1) [SEP] L'eau D'issey Eau De Toilette Spray for Women [SEP] Price: $64.98 [SEP] Rating: N.A. [SEP] Description [SEP] Features [SEP] Reviews [SEP] Buy Now",
    ),
    item,
  );
  t.ok(s.clickables().has('6.76 fl oz (pack of 1)'));
});
