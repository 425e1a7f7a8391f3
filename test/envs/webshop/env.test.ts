import t from 'tap';
import { readFileSync } from 'node:fs';
import { makeEnv, getEnvSpec } from '../../../envs/registry.js';
import { WebShopEnv } from '../../../envs/webshop/env.js';
import { INVALID_FORMAT, parseEtoAction } from '../../../envs/core/chat.js';
import { ETO_INSTRUCTION, EtoWebShop } from '../../../envs/webshop/eto.js';
import { planExpert, runExpert } from '../../../envs/webshop/expert.js';
import { WebShopSession } from '../../../envs/webshop/session.js';
import { Shop } from '../../../envs/webshop/shop.js';
import { handCatalog, syntheticCatalog, TEA } from './fixture.js';

const hand = handCatalog();

t.test('registry spec and the index-action interface', async (t) => {
  const spec = getEnvSpec('webshop');
  t.same([spec.actionCount, spec.horizon, spec.optimalReturn], [null, 10, 1]);
  t.throws(() => makeEnv('webshop', {}), { code: 'NO_DATA_DIR' });
  const env = makeEnv('webshop', { dataDir: hand, split: 'all' }) as WebShopEnv;
  const shop = env.session.shop;
  const teaGoal = shop.goals.findIndex((g) => g.asin === TEA);
  const obs = env.reset({ seed: teaGoal });
  t.match(obs.prompt, /^WebShop \[SEP\] Instruction:/);
  t.same(obs.actions, ['search[i want organic tea bags in light blue]'], 'search action with the goal-derived query');
  t.same(obs.valid, [0]);
  t.same(obs.vector, []);
  t.throws(() => env.step(1), { code: 'BAD_ACTION' });
  const r = env.step(0);
  t.equal(r.reward, 0);
  t.equal(r.observation.actions[0], obs.actions[0]);
  t.ok(r.observation.actions.includes(`click[${TEA.toLowerCase()}]`));
  t.ok(r.observation.actions.includes('click[next >]'), 'Next > is offered even when every hit fits on page 1');
  const snap = env.save();
  env.step(r.observation.actions.indexOf(`click[${TEA.toLowerCase()}]`));
  env.stepText('click[light blue]');
  const bought = env.stepText('click[buy now]');
  t.equal(bought.done, true);
  t.same(bought.observation.actions, []);
  t.ok(bought.reward > 0 && bought.info.return === bought.reward);
  t.throws(() => env.stepText('click[< prev]'), { code: 'EPISODE_OVER' });
  env.load(snap);
  t.match(env.session.observation(), 'Page 1');
  t.throws(() => env.load(null), { code: 'BAD_SNAPSHOT' });
  // Cycling through the split without a seed; a fixed goal always wins.
  const e2 = new WebShopEnv({ dataDir: hand, split: 'all' });
  e2.reset();
  const g0 = e2.session.goalId;
  e2.reset();
  t.not(e2.session.goalId, g0);
  const fixed = new WebShopEnv({ dataDir: hand, goal: 1, split: 'all' });
  fixed.reset({ seed: 0 });
  t.equal(fixed.session.goalId, 1);
  t.throws(() => new WebShopEnv({ dataDir: hand }).reset(), { code: 'EMPTY_SPLIT' });
});

t.test('step limit: the episode ends after maxSteps with reward 0', async (t) => {
  const env = new WebShopEnv({ dataDir: hand, split: 'all', maxSteps: 3 });
  env.reset({ seed: 0 });
  t.equal(env.stepText('search[tea]').done, false);
  t.equal(env.stepText('click[nothing]').done, false);
  const last = env.stepText('click[nothing]');
  t.same([last.done, last.reward, last.info.success, last.observation.actions], [true, 0, false, []]);
});

t.test("ETO wrapper: 'Action: ' parsing, observation prefix, invalid format, 10-step limit", async (t) => {
  t.equal(parseEtoAction('Thought: hmm\nAction: click[Buy Now]\n'), 'click[Buy Now]');
  t.equal(parseEtoAction('Action: search[a]\nAction: click[b]'), 'search[a]\nAction: click[b]');
  t.equal(parseEtoAction('click[x]'), null);
  t.equal(parseEtoAction('Action:click[x]'), null, 'the space after the colon is required');
  const shop = Shop.open({ dataDir: hand });
  const eto = new EtoWebShop(new WebShopSession(shop));
  const prefix = eto.reset(0);
  t.same(prefix.map((m) => m.from), ['human', 'gpt', 'human']);
  t.same([prefix[0].value, prefix[1].value], [ETO_INSTRUCTION, 'OK']);
  t.match(prefix[2].value, /^WebShop \[SEP\] Instruction: \[SEP\] .* \[SEP\] Search$/);
  const bad = eto.step('I will search');
  t.same(bad, { observation: INVALID_FORMAT, reward: 0, done: false, steps: 1 });
  const ok = eto.step('Thought: go\nAction: search[tea]');
  t.match(ok.observation, /^Observation:\nInstruction: \[SEP\]/);
  for (let i = 3; i < 10; i++) t.equal(eto.step('Action: click[nothing]').done, false);
  const end = eto.step('Action: click[nothing]');
  t.same([end.done, end.reward, end.steps], [true, 0, 10]);
});

t.test('expert: reaches the target and buys with reward 1 within 10 steps, in ETO format', async (t) => {
  const { dir } = syntheticCatalog(400, 11);
  const shop = Shop.open({ dataDir: dir });
  let solved = 0;
  let skipped = 0;
  let paged = 0;
  for (let i = 0; i < shop.goals.length; i++) {
    const tr = runExpert(shop, i);
    if (!tr) {
      skipped++;
      continue;
    }
    t.equal(tr.reward, 1, `goal ${i}`);
    if (tr.conversations.some((m) => m.value.includes('Action: click[next >]'))) paged++;
    solved++;
    const turns = tr.conversations.slice(3);
    t.ok(turns.every((m, j) => m.from === (j % 2 === 0 ? 'gpt' : 'human')));
    t.match(turns[turns.length - 1].value, /Action: click\[buy now\]$/);
    t.ok(turns.filter((m) => m.from === 'gpt').length <= 10);
  }
  t.ok(solved > 0 && paged > 0, `solved ${solved}, paged ${paged}, skipped ${skipped}`);
  t.equal(planExpert(shop, 0, 1), null, 'no plan fits a 1-step limit');
  const goal = shop.goals[0];
  const plan = planExpert(shop, 0, 10)!;
  t.equal(plan[0].action, `search[${goal.instruction_text.replace(/, and price lower than [\d.]+ dollars$/, '').toLowerCase()}]`);
  t.ok(readFileSync(`${dir}/items_ins_v2.json`, 'utf8').length > 0);
});
