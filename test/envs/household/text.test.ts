import t from 'tap';
import { demangleNames } from '../../../envs/household/demangle.js';
import { AtomSet } from '../../../envs/household/pddl/atoms.js';
import { Grammar, parseRhs, type GrammarWorld } from '../../../envs/household/text/csg.js';
import { parseTwl2 } from '../../../envs/household/text/twl2.js';

t.test('rhs parsing follows TextWorld: leading whitespace eaten, tabs skipped, stop at the first bad character', async (t) => {
  t.same(parseRhs('\nAvailable:\n  look\n'), [{ t: 'term', text: 'Available:\n  look\n' }]);
  t.same(parseRhs(' (it is open)'), [{ t: 'term', text: '(it is open)' }]);
  t.same(parseRhs('{o.name} (in/on the {r.name})} tail').map((s) => s.t), ['cond', 'term', 'cond', 'term']);
  t.equal(parseRhs('{o.name} (in/on the {r.name})} tail').length, 4, 'the stray } ends parsing');
  t.same(parseRhs('"quoted"'), [{ t: 'term', text: 'quoted' }]);
  t.same(parseRhs('a\t{x}'), [{ t: 'term', text: 'a\t' }, { t: 'cond', expr: { t: 'eval', expr: 'x' }, given: null }]);
  t.same(parseRhs('x\t\t#y#')[1], { t: 'nt', name: 'y' });
  const list = parseRhs('[{#overview(o)# | p(o:object) & q(o:object)}]')[0]!;
  t.same(list, { t: 'list', inner: { t: 'cond', expr: { t: 'nt', name: 'overview(o)' }, given: 'p(o:object) & q(o:object)' } });
  t.same(parseRhs(''), [{ t: 'term', text: '' }]);
});

function world(facts: string[][], types: Record<string, string>): GrammarWorld {
  const set = new AtomSet();
  for (const [p, ...a] of facts) set.add(p!, a);
  const names = demangleNames(Object.keys(types));
  return {
    facts: set,
    entity: (id) => ({ id, name: names.get(id) ?? id, type: types[id] ?? 'object' }),
    hasType: (type) => ['object', 'receptacle', 'agent', 'location'].includes(type),
    isSubtype: (type, anc) => anc === 'object' || type === anc,
  };
}

const RULES = new Map(
  Object.entries({
    list_empty: [{ rhs: 'nothing' }],
    list_separator: [{ rhs: ', ' }],
    list_last_separator: [{ rhs: ', and ' }],
    in: [{ rhs: "[{o.indefinite + ' ' + o.name | inreceptacle(o:object, r:receptacle)}]" }],
    first: [{ condition: 'opened(r:receptacle)', rhs: 'open' }, { condition: 'inreceptacle(o:object, r:receptacle)', rhs: 'full' }, { rhs: 'other' }],
    pairs: [{ rhs: '[{#pair# | on(a:object, b:object)}]' }],
    pair: [{ rhs: '{a.name}-{b.name}' }],
    neg: [{ rhs: '[{o.name | not_inreceptacle(o:object, r:receptacle)}]' }],
    or: [{ rhs: '{r.name or r.id}|{r.id}' }],
  }),
);

t.test('grammar derivation: sorted facts, lists, first applicable rule, injective bindings, explicit negations', async (t) => {
  const types = { 'mug_bar_2': 'object', 'mug_bar_1': 'object', 'apple_bar_1': 'object', 'shelf_bar_1': 'receptacle', 'shelf_bar_2': 'receptacle' };
  const w = world(
    [
      ['inreceptacle', 'mug_bar_2', 'shelf_bar_1'],
      ['inreceptacle', 'apple_bar_1', 'shelf_bar_1'],
      ['inreceptacle', 'mug_bar_1', 'shelf_bar_1'],
      ['on', 'mug_bar_1', 'mug_bar_1'],
      ['on', 'mug_bar_1', 'apple_bar_1'],
      ['not_inreceptacle', 'apple_bar_1', 'shelf_bar_2'],
    ],
    types,
  );
  const g = new Grammar(RULES, w);
  const ctx = (r: string) => ({ mapping: new Map([['r:receptacle', { id: r, type: 'receptacle' }]]), vars: new Map([['r', r]]) });
  t.equal(g.derive('#in#', ctx('shelf_bar_1')), 'a apple 1, a mug 2, and a mug 1', 'raw-id order, reversed numbers, always "a"');
  t.equal(g.derive('#in#', ctx('shelf_bar_2')), 'nothing');
  t.equal(g.derive('#first#', ctx('shelf_bar_1')), 'full');
  t.equal(g.derive('#first#', ctx('shelf_bar_2')), 'other');
  t.equal(g.derive('#pairs#', ctx('shelf_bar_1')), 'mug 2-apple 1', 'two placeholders never bind the same entity');
  t.equal(g.derive('#neg#', ctx('shelf_bar_2')), 'apple 1', 'not_p matches only explicit facts');
  t.equal(g.derive('#neg#', ctx('shelf_bar_1')), 'nothing');
  t.equal(g.derive('#or#', ctx('shelf_bar_2')), 'shelf 1', 'parsing stops at |');
  t.throws(() => g.derive('#missing#', ctx('shelf_bar_1')), /can't find symbol/);
  t.throws(() => g.derive('{nope.name}', ctx('shelf_bar_1')), /unknown name/);
  t.equal(g.derive('take {r} now', ctx('shelf_bar_1')), 'take shelf 2 now', 'a bare placeholder gives the name');
  const two = world([['inreceptacle', 'a_bar_1', 'r_bar_1'], ['inreceptacle', 'b_bar_1', 'r_bar_1']], { a_bar_1: 'object', b_bar_1: 'object', r_bar_1: 'receptacle' });
  t.equal(new Grammar(RULES, two).derive('#in#', ctx('r_bar_1')), 'a a 1, and a b 1', 'two items still get ", and"');
});

t.test('demangler: reverse numbering per class, basin suffix, trailing space without _bar_', async (t) => {
  const names = demangleNames(['cabinet_bar_1', 'cabinet_bar_2', 'cabinet_bar_10', 'sink_bar_1_bar_sinkbasin', 'agent1', 'appletype', 'loc_bar__minus_3_bar_1', 'loc_bar_4_bar_1']);
  t.equal(names.get('cabinet_bar_1'), 'cabinet 3');
  t.equal(names.get('cabinet_bar_10'), 'cabinet 2');
  t.equal(names.get('cabinet_bar_2'), 'cabinet 1');
  t.equal(names.get('sink_bar_1_bar_sinkbasin'), 'sinkbasin 1');
  t.equal(names.get('agent1'), 'agent1 ');
  t.equal(names.get('appletype'), 'appletype ');
  t.equal(names.get('loc_bar_4_bar_1'), 'loc 2', "'4' sorts before '_'");
  t.equal(names.get('loc_bar__minus_3_bar_1'), 'loc 1');
});

t.test('twl2: comments, verbatim templates, # lines dropped only in action grammars, later keys win', async (t) => {
  const doc = parseTwl2(`# header comment
grammar :: """
  {"a": [{"rhs": "global"}], "b": [{"rhs": "kept"}]}
""";
action GotoLocation {
    template :: "go to [{r.name | receptacleatlocation(r:receptacle, lend:location)}]";
    feedback :: "#GotoLocation.feedback#";
    grammar :: """
      {
        # a comment line
        "a": [{"rhs": "from action"}]
      }
    """;
}
action Look { template :: "look"; feedback :: "#b#"; }
`);
  t.same([...doc.actions.keys()], ['gotolocation', 'look']);
  t.equal(doc.actions.get('gotolocation')!.template, 'go to [{r.name | receptacleatlocation(r:receptacle, lend:location)}]');
  t.same(doc.rules.get('a'), [{ rhs: 'from action' }]);
  t.same(doc.rules.get('b'), [{ rhs: 'kept' }]);
  t.throws(() => parseTwl2('grammar :: """{"a": [}""";'), /not valid JSON/);
  t.throws(() => parseTwl2('action X { bogus :: "1"; }'), /unexpected text/);
  t.throws(() => parseTwl2('nonsense'), /unexpected text/);
});
