import t from 'tap';
import { AtomSet } from '../../../envs/household/pddl/atoms.js';
import { parseCondition, parseDomain, parseProblem, parseTypedList } from '../../../envs/household/pddl/parse.js';
import { parseSExpr, tokenize } from '../../../envs/household/pddl/sexpr.js';
import { PddlTask } from '../../../envs/household/pddl/task.js';
import { InvalidArgumentError } from '../../../src/errors.js';

t.test('FD tokenizer: lowercase, ; comments, splits on parentheses/whitespace/? only (commas stay)', async (t) => {
  t.same(tokenize('(Foo ?A - Location, ?b) ; comment (x)\n(bar?c)'), ['(', 'foo', '?a', '-', 'location,', '?b', ')', '(', 'bar', '?c', ')']);
  t.same(parseTypedList(['?l', '-', 'location,', '?r', '-', 'receptacle', '?x']), [
    { name: '?l', type: 'location,' },
    { name: '?r', type: 'receptacle' },
    { name: '?x', type: 'object' },
  ]);
  t.throws(() => parseSExpr('(a (b)'), InvalidArgumentError);
  t.throws(() => parseSExpr('(a) b'), InvalidArgumentError);
});

t.test('conditions are read into negation normal form', async (t) => {
  t.same(parseCondition(parseSExpr('(not (and (p ?x) (q)))')), {
    kind: 'or',
    parts: [
      { kind: 'lit', pred: 'p', args: ['?x'], negated: true },
      { kind: 'lit', pred: 'q', args: [], negated: true },
    ],
  });
  const imply = parseCondition(parseSExpr('(imply (p) (q))'));
  t.equal(imply.kind, 'or');
  t.equal((parseCondition(parseSExpr('(not (forall (?x) (p ?x)))')) as { kind: string }).kind, 'exists');
  t.same(parseCondition([]), { kind: 'and', parts: [] });
});

const DOMAIN = `(define (domain d) (:requirements :adl) (:types box place)
 (:action stay :parameters (?p - place) :precondition (at ?p) :effect (and (not (at ?p)) (at ?p)))
 (:action move :parameters (?from - place ?to - place) :precondition (at ?from) :effect (and (not (at ?from)) (at ?to) (increase (total-cost) 1)))
 (:action touch :parameters (?b - box) :precondition (or (loose ?b) (exists (?p - place, ?q - place) (and (at ?p) (in ?b ?q)))) :effect (touched ?b))
 (:action peek :parameters (?b - box) :precondition (exists (?p - place) (and (at ?p) (in ?b ?p))) :effect (touched ?b))
 (:action open :parameters (?b - box) :precondition (and (forall (?o - box) (not (opened ?o)))) :effect (opened ?b))
 (:action flip :parameters (?b - box) :precondition () :effect (and (when (lit ?b) (not (lit ?b))) (when (not (lit ?b)) (lit ?b))))
 (:action shut :parameters (?b - box) :precondition (and (not (opened ?b)) (in ?b ?b)) :effect (not (opened ?b))))`;
const PROBLEM = `(define (problem p) (:domain d) (:objects a b - box p1 p2 - place)
 (:init (at p1) (in a p1) (in b p2) (= (total-cost) 0))
 (:goal (exists (?x - box ?y - box) (and (touched ?x) (touched ?y) (not (= ?x ?y))))))`;

t.test('FD translation rules decide which operators exist', async (t) => {
  const task = new PddlTask(DOMAIN, PROBLEM);
  const s = task.initialState();
  const names = task.applicable(s).map((op) => `${op.schema} ${op.params.map((p) => p.value).join(' ')}`);
  // "stay": add and delete of the same atom -> the add wins, and it is implied by the precondition -> no operator.
  t.notOk(names.some((n) => n.startsWith('stay')));
  t.notOk(names.includes('move p1 p1'), 'moving to where you are changes nothing and vanishes');
  t.ok(names.includes('move p1 p2'));
  // The comma glues "place," as a type with no objects: that branch of "touch" never fires.
  t.notOk(names.some((n) => n.startsWith('touch')));
  t.ok(names.includes('peek a'), 'exists variables become hidden parameters');
  t.notOk(names.includes('peek b'));
  t.ok(names.includes('open a') && names.includes('open b'), 'forall preconditions are evaluated');
  t.notOk(names.some((n) => n.startsWith('shut')), 'static preconditions decide existence');
  t.equal(names.filter((n) => n === 'flip a').length, 1, 'one operator per name');
  t.same(task.objectsOfType('object'), ['a', 'b', 'p1', 'p2'], 'object is the root of every type');
  t.notOk(task.isGoal(s));
});

t.test('effects: conditions read the old state; add beats delete; forall preconditions', async (t) => {
  const task = new PddlTask(DOMAIN, PROBLEM);
  const s = task.initialState();
  const op = (name: string): ReturnType<PddlTask['applicable']>[number] =>
    task.applicable(s).find((o) => `${o.schema} ${o.params.map((p) => p.value).join(' ')}` === name)!;
  task.apply(op('flip a'), s);
  t.ok(s.has('lit', ['a']));
  task.apply(op('flip a'), s);
  t.notOk(s.has('lit', ['a']));
  task.apply(op('open a'), s);
  t.notOk(task.applicable(s).some((o) => o.schema === 'open'), 'open needs everything closed');
  task.apply(op('peek a'), s);
  t.notOk(task.isGoal(s), '(not (= ?x ?y)) needs two distinct boxes');
  task.apply(op('move p1 p2'), s);
  t.ok(s.has('at', ['p2']) && !s.has('at', ['p1']));
  task.apply(op('peek b'), s);
  t.ok(task.isGoal(s));
});

t.test('domain and problem reader errors name the problem', async (t) => {
  t.throws(() => parseDomain('(define (problem x))'), /expected \(domain NAME\)/);
  t.throws(() => parseDomain('(define (domain x) (:derived (p) (q)))'), /unsupported domain section/);
  t.throws(() => parseProblem('(foo)'), /define/);
  t.same(parseProblem('(define (problem x) (:domain d) (:init (p a) (= (f) 1)) (:goal (p a)))').init, [['p', 'a']]);
});

t.test('AtomSet keeps sorted views and index lookups in sync', async (t) => {
  const s = new AtomSet();
  s.add('p', ['b', 'x']);
  s.add('p', ['a', 'y']);
  s.add('p', ['a', 'x']);
  t.same(s.sorted('p'), [['a', 'x'], ['a', 'y'], ['b', 'x']]);
  t.same([...s.match('p', [undefined, 'x'])].length, 2);
  t.equal(s.estimate('p', ['a', undefined]), 2);
  s.delete('p', ['a', 'x']);
  t.same(s.sorted('p'), [['a', 'y'], ['b', 'x']]);
  t.equal(s.list().length, 2);
});
