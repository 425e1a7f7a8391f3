import t from 'tap';
import { foodPreparation } from '../../../envs/virtualhome/food-preparation.js';
import { FoodAction, PancakeAt, type FoodState } from '../../../envs/virtualhome/food-rules.js';
import { Room } from '../../../envs/virtualhome/model.js';
import { bits, canSucceed, explore, keyOf, randomSuccessProbability, run, shortestPlans } from './explore.js';
import { FOOD_OFFERED } from './spec-tables.js';

const model = foodPreparation();
const vec = (s: FoodState) => bits(model.features(s), 11);
const { WalkToPancake, WalkToMicrowave, Grab, PutIn, Open, Close } = FoodAction;
const WALK_LIVING = 0;
const WALK_KITCHEN = 1;
const WALK_BATH = 2;

t.test('action phrases, in index order', async (t) => {
  t.same(model.actions, [
    'walk to the living room',
    'walk to the kitchen',
    'walk to the bathroom',
    'walk to the bedroom',
    'walk to the pancake',
    'walk to the microwave',
    'grab the pancake',
    'put the pancake in the microwave',
    'open the microwave',
    'close the microwave',
  ]);
});

t.test('start: in the kitchen, seeing the pancake and the closed microwave, near neither', async (t) => {
  t.equal(vec(model.initial()), '10001001000');
});

t.test('the offered lists on every feature vector reachable with offered actions match the spec table', async (t) => {
  const graph = explore(model, { offeredOnly: true, stopAtSuccess: true });
  const seen = new Map<string, readonly number[] | 'terminal'>();
  for (const s of graph.states.values()) {
    const f = model.features(s);
    seen.set(bits(f, 11), model.success(f) ? 'terminal' : model.offered(f));
  }
  t.same(Object.fromEntries([...seen].sort()), Object.fromEntries(Object.entries(FOOD_OFFERED).sort()));
  t.equal(seen.size, 19, '18 non-terminal feature vectors and the success one');
});

t.test('offered rules on kitchen vectors the table cannot reach', async (t) => {
  const f = (s: string) => [...s].reduce((m, c, i) => m | (Number(c) << i), 0);
  t.same(model.offered(f('10001101100')), [0, 2, 3, 9], 'near both, door closed: only "close"');
  t.same(model.offered(f('10000001100')), [0, 2, 3], 'pancake not seen overrides everything');
});

t.test('walks to rooms always execute, clear near, and may target the current room', async (t) => {
  const s = run(model, [WalkToPancake]);
  t.equal(vec(s), '10001101000');
  t.ok(model.execute(s, WALK_KITCHEN), 'walking to the kitchen from the kitchen is legal');
  t.equal(vec(s), '10001001000', 'and clears near');
  t.ok(model.execute(s, WALK_BATH));
  t.equal(vec(s), '01000000000', 'the pancake and the microwave are out of sight in the bathroom');
});

t.test('observability: actions naming an unseen object are invalid no-ops', async (t) => {
  const s = run(model, [WALK_BATH]);
  const before = keyOf(model, s);
  for (const a of [WalkToPancake, WalkToMicrowave, Grab, PutIn, Open, Close]) {
    t.notOk(model.execute(s, a), `action ${a} fails in the bathroom`);
    t.equal(keyOf(model, s), before, 'and changes nothing');
  }
});

t.test('preconditions: grab and open need closeness; open/close need the opposite door state', async (t) => {
  const s = model.initial();
  t.notOk(model.execute(s, Grab), 'grab from afar fails');
  t.notOk(model.execute(s, Open), 'open from afar fails');
  t.notOk(model.execute(s, PutIn), 'put-in without holding fails');
  model.execute(s, WalkToMicrowave);
  t.notOk(model.execute(s, Close), 'closing a closed microwave fails');
  t.ok(model.execute(s, Open));
  t.notOk(model.execute(s, Open), 'opening an open microwave fails');
  t.equal(vec(s), '10001001110');
  t.ok(model.execute(s, Close));
  t.equal(vec(s), '10001001100');
});

t.test('put-in needs the door open and the agent near the microwave', async (t) => {
  const s = run(model, [WalkToPancake, Grab]);
  t.notOk(model.execute(s, PutIn), 'not near the microwave');
  model.execute(s, WalkToMicrowave);
  t.notOk(model.execute(s, PutIn), 'door closed');
  model.execute(s, Open);
  t.ok(model.execute(s, PutIn));
  t.equal(s.pancake, PancakeAt.Microwave);
  t.equal(s.pancakeTag, Room.Kitchen, 'the tag is not changed by put-in');
  t.equal(vec(s), '10001101111', 'the agent stays near the released pancake; it shows as in the microwave while open');
});

t.test('closing the microwave on the pancake hides it: the success observation', async (t) => {
  const s = run(model, [WalkToPancake, Grab, WalkToMicrowave, Open, PutIn]);
  t.notOk(model.success(model.features(s)));
  t.ok(model.execute(s, Close));
  t.equal(vec(s), '10000001100');
  t.ok(model.success(model.features(s)));
});

t.test('walking to the pancake in the microwave makes the agent near both; grabbing it keeps both', async (t) => {
  const s = run(model, [WalkToPancake, Grab, WalkToMicrowave, Open, PutIn, WALK_LIVING, WALK_KITCHEN]);
  t.equal(vec(s), '10001001011', 'near neither, pancake visible in the open microwave');
  t.ok(model.execute(s, WalkToPancake));
  t.same([s.nearPancake, s.nearMicrowave], [true, true]);
  t.ok(model.execute(s, Grab));
  t.same([s.pancake, s.nearPancake, s.nearMicrowave], [PancakeAt.Hand, true, true]);
});

t.test('loose closeness: near the pancake inside the microwave counts as close to the microwave', async (t) => {
  const inside: FoodState = { room: Room.Kitchen, nearPancake: true, nearMicrowave: false, pancake: PancakeAt.Microwave, pancakeTag: Room.Kitchen, microwaveOpen: true };
  const s = { ...inside };
  t.ok(model.execute(s, Close));
  t.equal(s.microwaveOpen, false);
  const u: FoodState = { ...inside, nearPancake: false, nearMicrowave: true };
  t.ok(model.execute(u, Grab), 'and near the microwave counts as close to the pancake inside');
});

t.test('a pancake inside the closed microwave cannot be grabbed', async (t) => {
  const s: FoodState = { room: Room.Kitchen, nearPancake: true, nearMicrowave: true, pancake: PancakeAt.Microwave, pancakeTag: Room.Kitchen, microwaveOpen: false };
  t.notOk(model.execute(s, Grab));
  t.notOk(model.execute(s, WalkToPancake), 'nor walked to: it is not visible');
});

t.test('teleport: walking to the carried pancake goes to its lagging tag room', async (t) => {
  const plan = [WalkToPancake, Grab, WALK_BATH, WALK_KITCHEN, WalkToPancake];
  const s = model.initial();
  for (const a of plan) {
    t.ok(model.offered(model.features(s)).includes(a), `action ${a} is offered`);
    t.ok(model.execute(s, a));
  }
  t.equal(s.room, Room.Bathroom, 'the agent ends up in the bathroom');
  t.equal(s.pancakeTag, Room.Kitchen, 'the pancake now lags in the kitchen');
  t.equal(vec(s), '01001110000');
});

t.test('a carried pancake is visible in every room, with features masked by room', async (t) => {
  const s = run(model, [WalkToPancake, Grab, WALK_LIVING]);
  t.equal(vec(s), '00011110000');
});

t.test('exhaustive: arbitrary actions', async (t) => {
  const all = explore(model, { offeredOnly: false, stopAtSuccess: false });
  // The spec's 98 graph states include facts irrelevant to the task (closeness to other objects); the explicit
  // model is their quotient, which keeps every observation and outcome.
  t.equal(all.states.size, 56, 'abstract states, also past success');
  for (const [key, state] of all.states) {
    if (state.pancake !== PancakeAt.Hand) t.equal(state.pancakeTag, Room.Kitchen, 'a pancake not in hand is tagged kitchen');
    t.equal(all.edges.get(key)!.length, 10);
  }
  const graph = explore(model, { offeredOnly: false, stopAtSuccess: true });
  let successSteps = 0;
  for (const [key, state] of graph.states) {
    if (model.success(model.features(state))) continue;
    for (const tr of graph.edges.get(key)!) {
      if (model.success(model.features(graph.states.get(tr.to)!))) {
        successSteps++;
        t.equal(tr.action, Close, 'success is only ever triggered by closing the microwave');
      }
      if (!tr.executed) t.equal(tr.to, key, 'a failed action changes nothing');
    }
  }
  t.ok(successSteps > 0);
});

t.test('no dead ends with offered actions; uniform random success within 50 steps is about 1.5%', async (t) => {
  const graph = explore(model, { offeredOnly: true, stopAtSuccess: true });
  t.equal(canSucceed(model, graph).size, graph.states.size);
  const p = randomSuccessProbability(model, 50);
  t.ok(p > 0.0145 && p < 0.0155, `p = ${p}`);
});

t.test('the shortest success is the unique 6-step plan', async (t) => {
  t.same(shortestPlans(model), [[WalkToPancake, Grab, WalkToMicrowave, Open, PutIn, Close]]);
});
