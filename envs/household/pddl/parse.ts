import { InvalidArgumentError } from '../../../src/errors.js';
import { isList, parseSExpr, type SExpr } from './sexpr.js';

/** A name with its declared type (`?o - object`, `apple_bar_1 - object`). */
export interface Typed {
  name: string;
  type: string;
}

export interface Literal {
  pred: string;
  args: string[];
  negated: boolean;
}

/** A condition in negation normal form (negations are pushed onto literals while parsing, as FD does). */
export type Cond =
  | { kind: 'and' | 'or'; parts: Cond[] }
  | ({ kind: 'lit' } & Literal)
  | { kind: 'exists' | 'forall'; params: Typed[]; body: Cond };

export type Effect =
  | { kind: 'and'; parts: Effect[] }
  | { kind: 'forall'; params: Typed[]; body: Effect }
  | { kind: 'when'; cond: Cond; body: Effect }
  | ({ kind: 'lit' } & Literal)
  | { kind: 'cost' };

export interface ActionSchema {
  name: string;
  params: Typed[];
  pre: Cond;
  effect: Effect;
}

export interface Domain {
  name: string;
  /** type -> parent type; `object` is the root. */
  parents: Map<string, string>;
  constants: Typed[];
  actions: ActionSchema[];
}

export interface Problem {
  objects: Typed[];
  /** Ground init atoms as `[pred, ...args]`, `=` and numeric assignments left out. */
  init: string[][];
  goal: Cond;
}

function fail(message: string): never {
  throw new InvalidArgumentError('PDDL_PARSE', `PDDL: ${message}`);
}

function str(x: SExpr | undefined, what: string): string {
  if (typeof x !== 'string') fail(`expected ${what}, got ${JSON.stringify(x)}`);
  return x;
}

function list(x: SExpr | undefined, what: string): SExpr[] {
  if (!isList(x)) fail(`expected a list for ${what}, got ${JSON.stringify(x)}`);
  return x;
}

/** FD's typed-list reading: names before a `-` take the token after it as their type (default `object`). */
export function parseTypedList(items: SExpr[]): Typed[] {
  const out: Typed[] = [];
  let pending: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = str(items[i], 'a name');
    if (item === '-') {
      const type = items[++i];
      if (typeof type !== 'string') fail('"either" types are not supported');
      for (const name of pending) out.push({ name, type });
      pending = [];
    } else pending.push(item);
  }
  for (const name of pending) out.push({ name, type: 'object' });
  return out;
}

function parseLiteral(x: SExpr[], negated: boolean): Cond & { kind: 'lit' } {
  const pred = str(x[0], 'a predicate');
  return { kind: 'lit', pred, args: x.slice(1).map((a) => str(a, 'an argument')), negated };
}

/** FD's parse_condition: `imply` becomes `or`, `not` flips the polarity of what it wraps. */
export function parseCondition(x: SExpr, negated = false): Cond {
  const l = list(x, 'a condition');
  if (l.length === 0) return { kind: 'and', parts: [] };
  const tag = l[0];
  if (tag === 'not') {
    if (l.length !== 2) fail('"not" takes one argument');
    return parseCondition(l[1]!, !negated);
  }
  if (tag === 'and' || tag === 'or' || tag === 'imply') {
    let parts: Cond[];
    let op = tag;
    if (tag === 'imply') {
      if (l.length !== 3) fail('"imply" takes two arguments');
      parts = [parseCondition(l[1]!, !negated), parseCondition(l[2]!, negated)];
      op = 'or';
    } else parts = l.slice(1).map((p) => parseCondition(p, negated));
    const conj = (op === 'and') !== negated;
    return { kind: conj ? 'and' : 'or', parts };
  }
  if (tag === 'exists' || tag === 'forall') {
    if (l.length !== 3) fail(`"${tag}" takes a parameter list and one condition`);
    const params = parseTypedList(list(l[1], 'quantified parameters'));
    const universal = (tag === 'forall') !== negated;
    return { kind: universal ? 'forall' : 'exists', params, body: parseCondition(l[2]!, negated) };
  }
  return parseLiteral(l, negated);
}

export function parseEffect(x: SExpr): Effect {
  const l = list(x, 'an effect');
  if (l.length === 0) return { kind: 'and', parts: [] };
  const tag = l[0];
  if (tag === 'and') return { kind: 'and', parts: l.slice(1).map(parseEffect) };
  if (tag === 'forall') return { kind: 'forall', params: parseTypedList(list(l[1], 'forall parameters')), body: parseEffect(l[2]!) };
  if (tag === 'when') return { kind: 'when', cond: parseCondition(l[1]!), body: parseEffect(l[2]!) };
  if (tag === 'increase' || tag === 'decrease' || tag === 'assign') return { kind: 'cost' };
  if (tag === 'not') {
    const inner = list(l[1], 'a negated effect');
    return { ...parseLiteral(inner, true) };
  }
  return parseLiteral(l, false);
}

function parseAction(l: SExpr[]): ActionSchema {
  const name = str(l[1], 'an action name');
  let params: Typed[] = [];
  let pre: Cond = { kind: 'and', parts: [] };
  let effect: Effect = { kind: 'and', parts: [] };
  for (let i = 2; i < l.length; i += 2) {
    const key = l[i];
    const value = l[i + 1];
    if (key === ':parameters') params = parseTypedList(list(value, 'parameters'));
    else if (key === ':precondition') pre = parseCondition(value ?? []);
    else if (key === ':effect') effect = parseEffect(value ?? []);
    else fail(`unknown action field ${JSON.stringify(key)} in ${name}`);
  }
  return { name, params, pre, effect };
}

export function parseDomain(text: string): Domain {
  const top = parseSExpr(text);
  if (top[0] !== 'define') fail('a domain starts with "define"');
  const head = list(top[1], 'the domain name');
  if (head[0] !== 'domain') fail('expected (domain NAME)');
  const domain: Domain = { name: str(head[1], 'a domain name'), parents: new Map(), constants: [], actions: [] };
  for (const part of top.slice(2)) {
    const l = list(part, 'a domain section');
    switch (l[0]) {
      case ':types':
        for (const t of parseTypedList(l.slice(1))) if (t.name !== t.type) domain.parents.set(t.name, t.type);
        break;
      case ':constants':
        domain.constants.push(...parseTypedList(l.slice(1)));
        break;
      case ':action':
        domain.actions.push(parseAction(l));
        break;
      case ':requirements':
      case ':predicates':
      case ':functions':
        break;
      default:
        fail(`unsupported domain section ${JSON.stringify(l[0])}`);
    }
  }
  return domain;
}

export function parseProblem(text: string): Problem {
  const top = parseSExpr(text);
  if (top[0] !== 'define') fail('a problem starts with "define"');
  const problem: Problem = { objects: [], init: [], goal: { kind: 'and', parts: [] } };
  for (const part of top.slice(2)) {
    const l = list(part, 'a problem section');
    if (l[0] === ':objects') problem.objects.push(...parseTypedList(l.slice(1)));
    else if (l[0] === ':init') {
      for (const fact of l.slice(1)) {
        const f = list(fact, 'an init fact');
        if (f[0] === '=' || f[0] === 'not') continue;
        problem.init.push(f.map((a) => str(a, 'an init argument')));
      }
    } else if (l[0] === ':goal') problem.goal = parseCondition(l[1]!);
    else if (l[0] !== ':domain' && l[0] !== ':metric' && l[0] !== ':requirements') fail(`unsupported problem section ${JSON.stringify(l[0])}`);
  }
  return problem;
}
