import t from 'tap';
import { entertainment as model } from '../../../envs/virtualhome/entertainment.js';
import { FunAction, FunFeature, Item, ItemAt, Near, type FunState } from '../../../envs/virtualhome/entertainment-rules.js';
import { Room, bit } from '../../../envs/virtualhome/model.js';
import { bits, canSucceed, explore, keyOf, randomSuccessProbability, run, shortestPlans } from './explore.js';
import { FUN_OFFERED } from './spec-tables.js';

const vec = (s: FunState) => bits(model.features(s), 21);
const feature = (s: FunState, i: number) => bit(model.features(s), i);
const A = FunAction;
const [LIVING, KITCHEN, BATH, BED] = [0, 1, 2, 3];

t.test('action phrases, in index order', async (t) => {
  t.same(model.actions, [
    'walk to the living room',
    'walk to the kitchen',
    'walk to the bathroom',
    'walk to the bedroom',
    'walk to the chips',
    'walk to the milk',
    'walk to the coffee table',
    'walk to the TV',
    'walk to the sofa',
    'grab the chips',
    'grab the milk',
    'put the chips on the coffee table',
    'put the milk on the coffee table',
    'turn on the TV',
    'turn off the TV',
    'sit on the sofa',
    'stand up from the sofa',
  ]);
});

t.test('start: all features zero but the kitchen and seeing both items', async (t) => {
  t.equal(vec(model.initial()), '100010001000000000000');
});

t.test('Appendix A: the 100 feature vectors reachable with offered actions and their offered lists', async (t) => {
  const graph = explore(model, { offeredOnly: true, stopAtSuccess: true });
  const seen = new Map<string, readonly number[] | 'terminal'>();
  for (const s of graph.states.values()) {
    const f = model.features(s);
    seen.set(bits(f, 21), model.success(f) ? 'terminal' : model.offered(f));
  }
  t.equal(seen.size, 100);
  t.same(Object.fromEntries([...seen].sort()), Object.fromEntries(Object.entries(FUN_OFFERED).sort()));
});

t.test('offered-reachable states: 219 non-terminal, 32 dead ends after tabling one item, 5 seated dead ends', async (t) => {
  const graph = explore(model, { offeredOnly: true, stopAtSuccess: true });
  const terminal = [...graph.states.values()].filter((s) => model.success(model.features(s)));
  t.equal(terminal.length, 3);
  t.equal(graph.states.size - terminal.length, 219);
  const good = canSucceed(model, graph);
  const dead = [...graph.states].filter(([k]) => !good.has(k)).map(([, s]) => s);
  const seated = dead.filter((s) => s.sitting);
  t.equal(seated.length, 5, 'seated before the goal: trapped');
  const rest = dead.filter((s) => !s.sitting);
  t.equal(rest.length, 32);
  for (const s of rest) {
    t.ok(
      (s.at[0] === ItemAt.Table && s.at[1] === ItemAt.Origin) || (s.at[1] === ItemAt.Table && s.at[0] === ItemAt.Origin),
      'each holds one item on the table and the other still in the kitchen',
    );
  }
});

t.test('uniform random success within 50 steps is about 0.3%', async (t) => {
  const p = randomSuccessProbability(model, 50);
  t.ok(p > 0.0025 && p < 0.0035, `p = ${p}`);
});

t.test('the eight 11-step optimal plans', async (t) => {
  const plans = shortestPlans(model).map((p) => p.join(','));
  t.same(plans.sort(), [
    [0, 7, 13, 1, 4, 9, 5, 10, 0, 8, 15],
    [4, 9, 0, 7, 13, 1, 5, 10, 0, 8, 15],
    [0, 7, 13, 1, 5, 10, 4, 9, 0, 8, 15],
    [5, 10, 0, 7, 13, 1, 4, 9, 0, 8, 15],
    [4, 9, 5, 10, 0, 6, 11, 7, 13, 8, 15],
    [5, 10, 4, 9, 0, 6, 11, 7, 13, 8, 15],
    [4, 9, 5, 10, 0, 6, 12, 7, 13, 8, 15],
    [5, 10, 4, 9, 0, 6, 12, 7, 13, 8, 15],
  ].map((p) => p.join(',')).sort());
});

t.test('exhaustive with arbitrary actions: invariants and the only success trigger', async (t) => {
  const all = explore(model, { offeredOnly: false, stopAtSuccess: false });
  t.equal(all.states.size, 580, 'abstract states (the spec counts 1 938 graph states, with irrelevant facts)');
  let tabled = 0;
  for (const s of all.states.values()) {
    const furniture = s.near & (Near.CoffeeTable | Near.Tv | Near.Sofa);
    if ((furniture & (furniture - 1)) !== 0) t.fail('at most one of the coffee table, the TV and the sofa is near');
    for (const item of [Item.Chips, Item.Milk]) {
      if (s.at[item] === ItemAt.Table) {
        tabled++;
        if (s.tag[item] !== Room.LivingRoom) t.fail('an item on the table is tagged living room');
      }
    }
  }
  t.ok(tabled > 0);
  const graph = explore(model, { offeredOnly: false, stopAtSuccess: true });
  const triggers = new Set<number>();
  for (const [key, s] of graph.states) {
    if (model.success(model.features(s))) continue;
    for (const tr of graph.edges.get(key)!) {
      if (model.success(model.features(graph.states.get(tr.to)!))) triggers.add(tr.action);
      if (!tr.executed && tr.to !== key) t.fail('a failed action changed the state');
    }
  }
  t.same([...triggers], [A.Sit], 'success is only ever triggered by sitting on the sofa');
});

t.test('sitting traps the agent: walks fail, stand-up keeps "on the sofa" and facing the TV', async (t) => {
  const s = run(model, [LIVING, A.WalkToTv, A.TvOn, A.WalkToSofa]);
  t.same(model.offered(model.features(s)), [1, 2, 3, 6, 7, 15, 16], 'sit is offered once the TV is on');
  t.ok(model.execute(s, A.Sit));
  t.equal(vec(s), '000100000000101111110');
  t.notOk(model.success(model.features(s)), 'without the snacks it is no success');
  t.same(model.offered(model.features(s)), [1, 2, 3], 'only room walks are offered');
  for (const a of [KITCHEN, BATH, BED, A.WalkToTv, A.WalkToCoffeeTable, A.WalkToSofa]) t.notOk(model.execute(s, a), `walk ${a} fails while seated`);
  t.notOk(model.execute(s, A.Sit), 'sitting again fails');
  t.ok(model.execute(s, A.StandUp), 'standing up works (but is never offered)');
  t.notOk(model.execute(s, A.StandUp), 'standing when standing fails');
  t.ok(feature(s, FunFeature.OnSofa) && feature(s, FunFeature.FacingTv), 'on-sofa and facing survive standing up');
  t.ok(model.execute(s, A.WalkToTv));
  t.notOk(feature(s, FunFeature.FacingTv), 'a walk clears facing the TV');
  model.execute(s, KITCHEN);
  model.execute(s, LIVING);
  t.ok(feature(s, FunFeature.OnSofa), '"on the sofa" is permanent');
});

t.test('sit needs the sofa close', async (t) => {
  const s = run(model, [LIVING, A.WalkToTv]);
  t.notOk(model.execute(s, A.Sit));
});

t.test('the TV needs a free hand: offered with both hands full, but fails', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, A.WalkToMilk, A.GrabMilk, LIVING, A.WalkToTv]);
  t.same(model.offered(model.features(s)), [1, 2, 3, 6, 8, 13, 14]);
  t.notOk(model.execute(s, A.TvOn));
  t.notOk(s.tvOn);
  model.execute(s, A.WalkToCoffeeTable);
  model.execute(s, A.PutMilk);
  model.execute(s, A.WalkToTv);
  t.ok(model.execute(s, A.TvOn), 'with a hand free it works');
  t.notOk(model.execute(s, A.TvOn), 'turning on a TV that is on fails');
  t.ok(model.execute(s, A.TvOff));
  t.notOk(model.execute(s, A.TvOff));
});

t.test('switching the TV needs it close', async (t) => {
  const s = run(model, [LIVING]);
  t.notOk(model.execute(s, A.TvOn));
});

t.test('kitchen bug: with one item tabled, the offered walk targets the absent item and is a no-op', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, LIVING, A.WalkToCoffeeTable, A.PutChips, KITCHEN]);
  t.equal(vec(s), '100000001000000000000', 'only the milk is seen');
  t.same(model.offered(model.features(s)), [0, 2, 3, 4]);
  const before = keyOf(model, s);
  t.notOk(model.execute(s, A.WalkToChips));
  t.equal(keyOf(model, s), before);
  const m = run(model, [A.WalkToMilk, A.GrabMilk, LIVING, A.WalkToCoffeeTable, A.PutMilk, KITCHEN]);
  t.same(model.offered(model.features(m)), [0, 2, 3, 5], 'and symmetrically for the milk');
});

t.test('put needs the coffee table close; the released item stays near; grabbing back makes the table near', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, LIVING]);
  t.notOk(model.execute(s, A.PutChips), 'coffee table not close');
  t.notOk(model.execute(s, A.PutMilk), 'milk not in hand (and not visible)');
  model.execute(s, A.WalkToCoffeeTable);
  t.ok(model.execute(s, A.PutChips));
  t.equal(s.near, Near.CoffeeTable | Near.Chips);
  t.ok(feature(s, FunFeature.ChipsOnTable) && feature(s, FunFeature.CloseToChips));
  model.execute(s, A.WalkToTv);
  t.notOk(model.execute(s, A.GrabChips), 'the tabled chips are not close from the TV');
  t.ok(model.execute(s, A.WalkToChips), 'walking to tabled chips');
  t.equal(s.near, Near.Chips | Near.CoffeeTable, 'makes the agent near the chips and the table');
  model.execute(s, A.WalkToTv);
  model.execute(s, A.WalkToCoffeeTable);
  t.ok(model.execute(s, A.GrabChips), 'close via the coffee table');
  t.equal(s.at[Item.Chips], ItemAt.Hand);
  t.equal(s.near, Near.CoffeeTable | Near.Chips);
});

t.test('loose closeness: near a tabled item counts as close to the coffee table', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, A.WalkToMilk, A.GrabMilk, LIVING, A.WalkToCoffeeTable, A.PutChips]);
  s.near = Near.Chips | Near.Milk; // the table itself not near
  t.ok(model.execute(s, A.PutMilk));
});

t.test('grab needs closeness and a free item', async (t) => {
  const s = model.initial();
  t.notOk(model.execute(s, A.GrabChips), 'not close');
  model.execute(s, A.WalkToChips);
  t.ok(model.execute(s, A.GrabChips));
  t.notOk(model.execute(s, A.GrabChips), 'already in hand');
  t.notOk(model.execute(s, A.GrabMilk), 'milk not close');
  t.equal(vec(s), '100011101000000000000');
});

t.test('walks always clear near except carried items; objects of the living room are only seen there', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, A.WalkToMilk]);
  t.equal(s.near, Near.Chips | Near.Milk);
  model.execute(s, BED);
  t.equal(s.near, Near.Chips);
  t.equal(vec(s), '001011100000000000000', 'carried chips are seen and close in the bedroom; the milk is not seen');
  for (const a of [A.WalkToTv, A.WalkToSofa, A.WalkToCoffeeTable, A.WalkToMilk]) t.notOk(model.execute(s, a), `action ${a} fails out of sight`);
});

t.test('walking to a carried item teleports to its lagging tag (non-offered)', async (t) => {
  const s = run(model, [A.WalkToChips, A.GrabChips, LIVING, KITCHEN]);
  t.equal(s.tag[Item.Chips], Room.LivingRoom);
  t.ok(model.execute(s, A.WalkToChips));
  t.equal(s.room, Room.LivingRoom);
  t.equal(s.tag[Item.Chips], Room.Kitchen);
});

t.test('success needs the living room, facing the TV, TV on, on the sofa, and both items close or tabled', async (t) => {
  const plan = [A.WalkToChips, A.GrabChips, A.WalkToMilk, A.GrabMilk, LIVING, A.WalkToCoffeeTable, A.PutChips, A.WalkToTv, A.TvOn, A.WalkToSofa];
  const s = run(model, plan);
  t.notOk(model.success(model.features(s)));
  model.execute(s, A.Sit);
  t.ok(model.success(model.features(s)));
  t.equal(vec(s), '000110011110101111110', 'chips tabled (not close), milk in hand');
});
