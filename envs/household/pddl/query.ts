import { InvalidArgumentError } from '../../../src/errors.js';
import type { AtomSet } from './atoms.js';
import type { Cond, Literal, Typed } from './parse.js';

/** What a query needs to know about the problem's objects. */
export interface Universe {
  objectsOfType(type: string): readonly string[];
  isOfType(obj: string, type: string): boolean;
}

/** A literal argument: a variable slot of the disjunct, or a constant. */
type Ref = { v: number } | { c: string };

interface CompiledLit {
  pred: string;
  refs: Ref[];
}

/**
 * One conjunctive branch of a condition after FD's normalization: disjunctions split into separate branches and
 * `exists` variables turned into extra (hidden) variables after the external ones. `forall` parts stay whole and are
 * evaluated once their free variables are bound.
 */
export interface Disjunct {
  vars: Typed[];
  /** Literals of the branch (equality left out), for FD's effect simplification. */
  literals: Literal[];
  pos: CompiledLit[];
  neg: CompiledLit[];
  eq: { a: Ref; b: Ref; negated: boolean }[];
  opaque: Cond[];
}

interface Branch {
  lits: Literal[];
  hidden: Typed[];
  opaque: Cond[];
}

let renameCounter = 0;

function substitute(cond: Cond, map: Map<string, string>): Cond {
  switch (cond.kind) {
    case 'lit':
      return { ...cond, args: cond.args.map((a) => map.get(a) ?? a) };
    case 'and':
    case 'or':
      return { kind: cond.kind, parts: cond.parts.map((p) => substitute(p, map)) };
    default: {
      const inner = new Map(map);
      for (const p of cond.params) inner.delete(p.name);
      return { ...cond, body: substitute(cond.body, inner) };
    }
  }
}

function branches(cond: Cond): Branch[] {
  switch (cond.kind) {
    case 'lit':
      return [{ lits: [cond], hidden: [], opaque: [] }];
    case 'or':
      return cond.parts.flatMap(branches);
    case 'and': {
      let acc: Branch[] = [{ lits: [], hidden: [], opaque: [] }];
      for (const part of cond.parts) {
        const next: Branch[] = [];
        for (const a of acc) {
          for (const b of branches(part)) {
            next.push({ lits: [...a.lits, ...b.lits], hidden: [...a.hidden, ...b.hidden], opaque: [...a.opaque, ...b.opaque] });
          }
        }
        acc = next;
      }
      return acc;
    }
    case 'exists': {
      // Hidden variables get fresh names so that they never clash with parameters or each other.
      const rename = new Map(cond.params.map((p) => [p.name, `${p.name}#${++renameCounter}`] as const));
      const hidden = cond.params.map((p) => ({ name: rename.get(p.name)!, type: p.type }));
      return branches(substitute(cond.body, rename)).map((b) => ({ ...b, hidden: [...hidden, ...b.hidden] }));
    }
    case 'forall':
      return [{ lits: [], hidden: [], opaque: [cond] }];
  }
}

function compileRef(arg: string, slots: Map<string, number>): Ref {
  if (!arg.startsWith('?')) return { c: arg };
  const v = slots.get(arg);
  if (v === undefined) throw new InvalidArgumentError('PDDL_PARSE', `PDDL: unknown variable ${arg}`);
  return { v };
}

/** Splits `cond` into FD-style branches over `params` (the external variables, in order). */
export function toDisjuncts(cond: Cond, params: Typed[]): Disjunct[] {
  return branches(cond).map((b) => {
    const vars = [...params, ...b.hidden];
    const slots = new Map(vars.map((v, i) => [v.name, i] as const));
    const d: Disjunct = { vars, literals: [], pos: [], neg: [], eq: [], opaque: b.opaque };
    for (const lit of b.lits) {
      if (lit.pred === '=') {
        d.eq.push({ a: compileRef(lit.args[0]!, slots), b: compileRef(lit.args[1]!, slots), negated: lit.negated });
        continue;
      }
      d.literals.push(lit);
      (lit.negated ? d.neg : d.pos).push({ pred: lit.pred, refs: lit.args.map((a) => compileRef(a, slots)) });
    }
    return d;
  });
}

function resolve(ref: Ref, b: (string | undefined)[]): string | undefined {
  return 'c' in ref ? ref.c : b[ref.v];
}

function ground(lit: CompiledLit, b: (string | undefined)[]): string[] {
  return lit.refs.map((r) => resolve(r, b)!);
}

/**
 * Calls `visit` with every binding of the disjunct's variables that satisfies it in `state` (stopping early when it
 * returns true), found by a join that always expands the positive literal with the fewest candidate atoms next. The
 * array passed to `visit` is reused: copy it to keep it.
 */
export function solve(d: Disjunct, state: AtomSet, u: Universe, visit: (b: (string | undefined)[]) => boolean | void): boolean {
  const b: (string | undefined)[] = new Array(d.vars.length).fill(undefined);
  return join(d, state, u, b, d.pos.map((_, i) => i), visit);
}

type Visit = (b: (string | undefined)[]) => boolean | void;

function join(d: Disjunct, state: AtomSet, u: Universe, b: (string | undefined)[], remaining: number[], visit: Visit): boolean {
  if (remaining.length === 0) return fillFree(d, state, u, b, 0, visit);
  let best = -1;
  let bestEstimate = Infinity;
  let pattern: (string | undefined)[] = [];
  for (const i of remaining) {
    const lit = d.pos[i]!;
    const p = lit.refs.map((r) => resolve(r, b));
    const estimate = state.estimate(lit.pred, p);
    if (estimate < bestEstimate) {
      best = i;
      bestEstimate = estimate;
      pattern = p;
      if (estimate <= 1) break;
    }
  }
  if (bestEstimate === 0) return false;
  const lit = d.pos[best]!;
  const rest = remaining.length === 1 ? [] : remaining.filter((i) => i !== best);
  for (const args of state.match(lit.pred, pattern)) {
    const bound: number[] = [];
    let ok = true;
    for (let i = 0; i < args.length; i++) {
      const ref = lit.refs[i]!;
      if ('c' in ref) continue;
      const cur = b[ref.v];
      if (cur === undefined) {
        if (!u.isOfType(args[i]!, d.vars[ref.v]!.type)) {
          ok = false;
          break;
        }
        b[ref.v] = args[i];
        bound.push(ref.v);
      } else if (cur !== args[i]) {
        ok = false;
        break;
      }
    }
    const stop = ok && join(d, state, u, b, rest, visit);
    for (const v of bound) b[v] = undefined;
    if (stop) return true;
  }
  return false;
}

function fillFree(d: Disjunct, state: AtomSet, u: Universe, b: (string | undefined)[], from: number, visit: Visit): boolean {
  let v = from;
  while (v < b.length && b[v] !== undefined) v++;
  if (v === b.length) return checks(d, state, u, b) && visit(b) === true;
  for (const obj of u.objectsOfType(d.vars[v]!.type)) {
    b[v] = obj;
    if (fillFree(d, state, u, b, v + 1, visit)) {
      b[v] = undefined;
      return true;
    }
  }
  b[v] = undefined;
  return false;
}

function checks(d: Disjunct, state: AtomSet, u: Universe, b: (string | undefined)[]): boolean {
  for (const e of d.eq) if ((resolve(e.a, b) === resolve(e.b, b)) === e.negated) return false;
  for (const lit of d.neg) if (state.has(lit.pred, ground(lit, b))) return false;
  if (d.opaque.length) {
    const env = new Map(d.vars.map((v, i) => [v.name, b[i]!] as const));
    for (const cond of d.opaque) if (!holds(cond, env, state, u)) return false;
  }
  return true;
}

/** Plain recursive truth of a condition under `env` (used for `forall` parts). */
export function holds(cond: Cond, env: Map<string, string>, state: AtomSet, u: Universe): boolean {
  switch (cond.kind) {
    case 'lit': {
      const args = cond.args.map((a) => (a.startsWith('?') ? env.get(a) ?? a : a));
      const truth = cond.pred === '=' ? args[0] === args[1] : state.has(cond.pred, args);
      return truth !== cond.negated;
    }
    case 'and':
      return cond.parts.every((p) => holds(p, env, state, u));
    case 'or':
      return cond.parts.some((p) => holds(p, env, state, u));
    default: {
      const universal = cond.kind === 'forall';
      const assign = (i: number, inner: Map<string, string>): boolean => {
        if (i === cond.params.length) return holds(cond.body, inner, state, u);
        for (const obj of u.objectsOfType(cond.params[i]!.type)) {
          const r = assign(i + 1, new Map(inner).set(cond.params[i]!.name, obj));
          if (r !== universal) return r;
        }
        return universal;
      };
      return assign(0, env);
    }
  }
}

/** Whether any branch of `disjuncts` has a satisfying binding. */
export function satisfiable(disjuncts: Disjunct[], state: AtomSet, u: Universe): boolean {
  return disjuncts.some((d) => solve(d, state, u, () => true));
}
