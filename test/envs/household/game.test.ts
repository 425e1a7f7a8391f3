import t from 'tap';
import { NOTHING_HAPPENS, TwPddlGame } from '../../../envs/household/game.js';
import { kitchen, KITCHEN_PROBLEM, play } from './fixtures.js';

t.test('reset: banner, mid-room look listing every receptacle in raw-id order, task; admissible sorted by code point', async (t) => {
  const g = kitchen();
  const r = g.reset();
  t.equal(
    r.feedback,
    '-= Welcome to the household! =-\n\nYou are in the middle of a room. Looking quickly around you, you see a cabinet 11, a cabinet 10, a cabinet 9, a cabinet 8, a cabinet 7, a cabinet 6, a cabinet 5, a cabinet 4, a cabinet 3, a cabinet 2, a cabinet 1, a coffeemachine 1, a countertop 2, a countertop 1, a fridge 1, a microwave 1, and a sinkbasin 1.\n\nYour task is to: put a hot mug in microwave.',
  );
  t.same(r.admissible.slice(0, 4), ['go to cabinet 1', 'go to cabinet 10', 'go to cabinet 11', 'go to cabinet 2']);
  t.same(r.admissible, [...r.admissible].sort());
  t.equal(r.won, false);
  t.equal(g.step('look').feedback, 'You are in the middle of a room. Looking quickly around you, you see nothing.');
  t.equal(g.step('inventory').feedback, 'You are not carrying anything.');
});

t.test('invalid commands: exact, case-sensitive match after strip(); state unchanged', async (t) => {
  const g = kitchen();
  const r = g.reset();
  for (const bad of ['Go to fridge 1', 'go to fridge', 'take mug 2 from countertop 1', 'examine fridge 1', 'xyzzy', '']) {
    const o = g.step(bad);
    t.equal(o.feedback, NOTHING_HAPPENS, bad);
    t.same(o.admissible, r.admissible);
  }
  t.match(g.step('  go to fridge 1 \n').feedback, /^You arrive at fridge 1\. The fridge 1 is closed\.$/);
});

t.test('admissible commands never answer "Nothing happens." (random walk)', async (t) => {
  const g = kitchen();
  let o = g.reset();
  let x = 7;
  for (let i = 0; i < 150; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const cmd = o.admissible[x % o.admissible.length]!;
    o = g.step(cmd);
    if (o.feedback === NOTHING_HAPPENS) t.fail(`admissible "${cmd}" did nothing`);
  }
  t.pass('walked 150 steps');
});

t.test('spec quirks: shared spots, double containment, loose objects, examine text', async (t) => {
  const g = kitchen();
  g.reset();
  const [arrive, take, exam, put, look] = play(g, ['go to countertop 1', 'take mug 2 from countertop 1', 'examine coffeemachine 1', 'put mug 2 in/on coffeemachine 1', 'look']);
  t.equal(arrive!.feedback, 'You arrive at countertop 1. On the countertop 1, you see a mug 2.');
  t.notOk(arrive!.admissible.includes('go to coffeemachine 1'), 'no go to a receptacle at your own spot');
  t.ok(arrive!.admissible.includes('take mug 2 from coffeemachine 1'));
  t.equal(take!.feedback, 'You pick up the mug 2 from the countertop 1.');
  t.equal(exam!.feedback, 'On the coffeemachine 1, you see a mug 2.', 'the mug stays listed in its second receptacle');
  t.equal(put!.feedback, 'You put the mug 2 in/on the coffeemachine 1.');
  t.equal(look!.feedback, 'You are facing the coffeemachine 1, and countertop 1. Next to it, you see a mug 2.');
  const more = play(g, ['take mug 2 from coffeemachine 1', 'examine mug 2', 'inventory', 'go to microwave 1', 'heat mug 2 with microwave 1', 'examine mug 2']);
  t.equal(more[1]!.feedback, 'This is a normal mug 2. In it, you see nothing.', 'receptacle objects hide their state');
  t.equal(more[2]!.feedback, 'You are carrying: a mug 2.');
  t.equal(more[3]!.feedback, 'You arrive at microwave 1. The microwave 1 is closed.');
  t.equal(more[4]!.feedback, 'You heat the mug 2 using the microwave 1.', 'appliances work closed');
  t.notOk(more[4]!.admissible.includes('put mug 2 in/on microwave 1'), 'a closed receptacle takes nothing');
  const end = play(g, ['open microwave 1', 'put mug 2 in/on microwave 1', 'look', 'close microwave 1']);
  t.equal(end[0]!.feedback, 'You open the microwave 1. The microwave 1 is open. In it, you see nothing.');
  t.equal(end[1]!.won, true);
  t.equal(end[2]!.won, true, 'commands are still played after winning');
  t.equal(end[3]!.feedback, 'You close the microwave 1.');
});

t.test('examine object only when held; heat/cool flip; clean; toggle always "on"; slice', async (t) => {
  const g = kitchen();
  g.reset();
  const s = play(g, ['go to fridge 1', 'open fridge 1', 'examine apple 1', 'take apple 1 from fridge 1', 'examine apple 1', 'cool apple 1 with fridge 1', 'examine apple 1',
    'go to microwave 1', 'heat apple 1 with microwave 1', 'examine apple 1', 'go to sinkbasin 1', 'clean apple 1 with sinkbasin 1', 'examine apple 1',
    'go to countertop 2', 'put apple 1 in/on countertop 2', 'use desklamp 1', 'use desklamp 1', 'take knife 1 from countertop 2', 'slice apple 1 with knife 1', 'examine knife 1']);
  t.equal(s[1]!.feedback, 'You open the fridge 1. The fridge 1 is open. In it, you see a apple 1.');
  t.equal(s[2]!.feedback, NOTHING_HAPPENS, 'objects in view cannot be examined');
  t.equal(s[4]!.feedback, "There's nothing special about apple 1.");
  t.equal(s[6]!.feedback, 'This is a cold apple 1.');
  t.equal(s[9]!.feedback, 'This is a hot apple 1.', 'heating clears cool');
  t.equal(s[12]!.feedback, 'This is a hot and clean apple 1.');
  t.equal(s[15]!.feedback, 'You turn on the desklamp 1.');
  t.equal(s[16]!.feedback, 'You turn on the desklamp 1.');
  t.equal(s[18]!.feedback, 'You slice the apple 1 with the knife 1.');
  t.equal(s[19]!.feedback, "There's nothing special about knife 1.");
});

t.test('a 2.1.1-style grammar: arrival names the location, as TextWorld demangles it', async (t) => {
  const g = kitchen();
  const grammar = g.data.grammar.replace('You arrive at {r.name}.', 'You arrive at {lend.name}.');
  const g2 = new TwPddlGame({ ...g.data, grammar });
  g2.reset();
  t.match(g2.step('go to fridge 1').feedback, /^You arrive at loc 3\. The fridge 1 is closed\.$/);
});

t.test('look_at goal: lamp on and object held at the lamp spot, in either order', async (t) => {
  const goal = `(:goal (exists (?t - object ?l - location ?r - receptacle ?a - agent ?o - object)
  (and (objectType ?t DeskLampType) (toggleable ?t) (isToggled ?t) (receptacleAtLocation ?r ?l) (inReceptacle ?t ?r) (atLocation ?a ?l) (objectType ?o KnifeType) (holds ?a ?o)))))`;
  const problem = KITCHEN_PROBLEM.slice(0, KITCHEN_PROBLEM.indexOf('(:goal')) + goal;
  for (const order of [['use desklamp 1', 'take knife 1 from countertop 2'], ['take knife 1 from countertop 2', 'use desklamp 1']]) {
    const g = kitchen(problem, 'look at knife under the desklamp');
    g.reset();
    const s = play(g, ['go to countertop 2', ...order]);
    t.same(s.map((o) => o.won), [false, false, true], order.join(' then '));
  }
});

t.test('save/load restores state, facts and admissible commands', async (t) => {
  const g = kitchen();
  g.reset();
  play(g, ['go to countertop 1', 'take mug 2 from countertop 1']);
  const snap = JSON.parse(JSON.stringify(g.save()));
  const adm = g.admissible;
  const h = kitchen();
  h.reset();
  h.load(snap);
  t.same(h.admissible, adm);
  t.equal(h.step('put mug 2 in/on coffeemachine 1').feedback, 'You put the mug 2 in/on the coffeemachine 1.');
  t.throws(() => h.load({}), /not a game snapshot/);
  t.throws(() => new TwPddlGame({ pddl_domain: 'x' } as never), /missing string field "grammar"/);
});
