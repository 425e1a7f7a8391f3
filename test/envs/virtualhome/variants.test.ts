import t from 'tap';
import { FOOD_VARIANTS } from '../../../envs/virtualhome/index.js';
import { foodPreparation } from '../../../envs/virtualhome/food-preparation.js';
import { explore, makeEnv } from './explore.js';

const food = foodPreparation();
const renames: [string, string, string][] = [
  ['cheese', 'cheese', 'microwave'],
  ['hamburger', 'hamburger', 'microwave'],
  ['apple-pie', 'apple pie', 'microwave'],
  ['pizza', 'pizza', 'microwave'],
  ['washing-plate', 'dishes', 'dishwasher'],
  ['laundry', 'clothes', 'washing machine'],
];

t.test('action phrases: every "pancake" and "microwave" replaced', async (t) => {
  t.same(Object.keys(FOOD_VARIANTS), renames.map(([id]) => id));
  for (const [id, x, y] of renames) {
    const env = makeEnv(`virtualhome/${id}`);
    t.same(env.reset().actions, food.actions.map((p) => p.replaceAll('pancake', x).replaceAll('microwave', y)), id);
  }
  t.same(makeEnv('virtualhome/laundry').reset().actions.slice(4), [
    'walk to the clothes',
    'walk to the washing machine',
    'grab the clothes',
    'put the clothes in the washing machine',
    'open the washing machine',
    'close the washing machine',
  ]);
});

/** A small deterministic generator for action sequences. */
function* lcg(seed: number): Generator<number> {
  let s = seed >>> 0;
  for (;;) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    yield s / 2 ** 32;
  }
}

t.test('the variants run Food Preparation unchanged: vectors, offered lists, rewards, done, returns', async (t) => {
  const random = lcg(7);
  for (const [id] of renames) {
    const base = makeEnv('virtualhome/food-preparation');
    const variant = makeEnv(`virtualhome/${id}`);
    let mismatches = 0;
    for (let episode = 0; episode < 20; episode++) {
      const a = base.reset();
      const b = variant.reset();
      if (a.vector.join() !== b.vector.join()) mismatches++;
      let valid = a.valid;
      for (let done = false; !done; ) {
        // Half the episodes sample the offered actions, half any action.
        const choices = episode % 2 === 0 ? valid : [...Array(10).keys()];
        const action = choices[Math.floor(random.next().value! * choices.length)];
        const ra = base.step(action);
        const rb = variant.step(action);
        if (JSON.stringify([ra.reward, ra.done, ra.info, ra.observation.vector, ra.observation.valid]) !==
          JSON.stringify([rb.reward, rb.done, rb.info, rb.observation.vector, rb.observation.valid])) mismatches++;
        valid = ra.observation.valid;
        done = ra.done;
      }
    }
    t.equal(mismatches, 0, id);
  }
});

t.test('singular microwave variants: the Food Preparation prompt with the item renamed', async (t) => {
  const states = [...explore(food, { offeredOnly: false, stopAtSuccess: false }).states.values()];
  for (const [id, x] of renames.slice(0, 4)) {
    const naming = FOOD_VARIANTS[id];
    const model = foodPreparation(naming);
    for (const s of states) {
      const f = food.features(s);
      const expected = food.prompt(f).replace('a pancake', naming.someItem).replaceAll('pancake', x);
      if (model.prompt(f) !== expected) t.fail(`${id}: ${model.prompt(f)}`);
    }
  }
  t.match(makeEnv('virtualhome/apple-pie').reset().prompt, 'You notice an apple pie and a microwave.');
  t.match(makeEnv('virtualhome/cheese').reset().prompt, 'You notice some cheese and a microwave.');
});

t.test('dishes and clothes: plural verbs and a washing goal', async (t) => {
  for (const [id, item, appliance] of [['washing-plate', 'dishes', 'dishwasher'], ['laundry', 'clothes', 'washing machine']]) {
    const env = makeEnv(`virtualhome/${id}`);
    t.match(env.reset().prompt, `You notice some ${item} and a ${appliance}.`);
    t.ok(env.reset().prompt.endsWith(`To wash the ${item} in the ${appliance}, your next step is to`));
    env.step(4);
    t.match(env.step(1).observation.prompt, `The ${item} and the ${appliance} are not close to you.`);
    env.step(4);
    t.match(env.step(2).observation.prompt, 'You notice nothing useful. You are not grabbing anything.');
    env.reset();
    for (const a of [4, 6, 5, 8, 7]) env.step(a);
    const last = env.step(9);
    t.equal(last.reward, 1);
    t.match(last.observation.prompt, `The ${item} are in the ${appliance}.`);
    t.notMatch(last.observation.prompt, /pancake|microwave/);
  }
});

t.test('the crossover tests are the unchanged tasks', async (t) => {
  const pairs = [['virtualhome/crossover-entertainment', 'virtualhome/entertainment'], ['virtualhome/crossover-food-preparation', 'virtualhome/food-preparation']];
  for (const [cross, base] of pairs) {
    const a = makeEnv(cross);
    const b = makeEnv(base);
    t.same(a.reset(), b.reset());
    for (const action of [4, 9, 5]) t.same(a.step(action), b.step(action));
  }
});
