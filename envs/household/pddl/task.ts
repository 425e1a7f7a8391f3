import { InvalidArgumentError } from '../../../src/errors.js';
import { AtomSet, atomKey } from './atoms.js';
import { parseDomain, parseProblem, type ActionSchema, type Cond, type Effect, type Literal, type Typed } from './parse.js';
import { satisfiable, solve, toDisjuncts, type Disjunct, type Universe } from './query.js';

/** One effect atom of a ground operator; `cond` holds its (ground, fluent) effect condition, empty if none. */
export interface GroundEffect {
  add: boolean;
  pred: string;
  args: string[];
  cond: Literal[];
}

/** An applicable ground operator, as TextWorld sees it: FD's name (schema + external arguments) and its effects. */
export interface GroundOp {
  schema: string;
  /** FD's operator name (schema and external arguments), unique among applicable operators. */
  name: string;
  /** External parameters, in order, with their bound objects. */
  params: { name: string; type: string; value: string }[];
  effects: GroundEffect[];
}

interface CompiledAction {
  schema: ActionSchema;
  disjuncts: Disjunct[];
}

/**
 * A PDDL domain + problem run with Fast Downward's translation semantics, restricted to what household games use:
 * typed objects (`object` is the root of every type, as in FD), `and/or/not/imply/exists/forall/=` preconditions and
 * goals, `and/when/forall` effects, costs ignored. Operators exist only if FD would keep them: effects implied by the
 * precondition are dropped, an atom both added and deleted is added, and an operator left with no effect vanishes.
 */
export class PddlTask implements Universe {
  readonly objects: Typed[];
  readonly init: string[][];
  private readonly parents: Map<string, string>;
  private readonly typeOf = new Map<string, string>();
  private readonly ofType = new Map<string, string[]>();
  private readonly actions: CompiledAction[];
  private readonly goal: Disjunct[];
  private readonly fluent = new Set<string>();
  private readonly staticInit: AtomSet;
  private readonly opCache = new Map<string, GroundOp | null>();
  private readonly typeSets = new Map<string, Set<string>>();

  constructor(domainText: string, problemText: string) {
    const domain = parseDomain(domainText);
    const problem = parseProblem(problemText);
    this.parents = domain.parents;
    this.objects = [...domain.constants, ...problem.objects];
    for (const o of this.objects) if (!this.typeOf.has(o.name)) this.typeOf.set(o.name, o.type);
    this.init = problem.init;
    this.actions = domain.actions.map((schema) => ({ schema, disjuncts: toDisjuncts(schema.pre, schema.params) }));
    this.goal = toDisjuncts(problem.goal, []);
    for (const a of domain.actions) collectEffectPreds(a.effect, this.fluent);
    this.staticInit = new AtomSet();
    for (const [pred, ...args] of this.init) if (!this.fluent.has(pred!)) this.staticInit.add(pred!, args);
  }

  /** The declared type of an object (FD's `type_name`). */
  declaredType(obj: string): string | undefined {
    return this.typeOf.get(obj);
  }

  /** Whether the domain declares `type` (TextWorld's type hierarchy holds `object` and the domain's types). */
  hasType(type: string): boolean {
    return type === 'object' || this.parents.has(type);
  }

  isSubtype(type: string, ancestor: string): boolean {
    if (ancestor === 'object') return true;
    for (let t: string | undefined = type, guard = 0; t !== undefined && guard < 64; t = this.parents.get(t), guard++) {
      if (t === ancestor) return true;
    }
    return false;
  }

  isOfType(obj: string, type: string): boolean {
    let set = this.typeSets.get(type);
    if (!set) this.typeSets.set(type, (set = new Set(this.objectsOfType(type))));
    return set.has(obj);
  }

  objectsOfType(type: string): readonly string[] {
    let list = this.ofType.get(type);
    if (!list) {
      list = [...this.typeOf.keys()].filter((o) => this.isSubtype(this.typeOf.get(o)!, type));
      this.ofType.set(type, list);
    }
    return list;
  }

  /** The initial state: every init atom. */
  initialState(): AtomSet {
    const s = new AtomSet();
    for (const [pred, ...args] of this.init) s.add(pred!, args);
    return s;
  }

  /** Applicable operators, one per FD operator name (the first branch that yields it), non-operators left out. */
  applicable(state: AtomSet): GroundOp[] {
    const out: GroundOp[] = [];
    const seen = new Set<string>();
    for (const action of this.actions) {
      const nParams = action.schema.params.length;
      action.disjuncts.forEach((d, di) => {
        solve(d, state, this, (b) => {
          const name = atomKey(action.schema.name, b.slice(0, nParams) as string[]);
          if (seen.has(name)) return;
          const hidden = d.vars.length > nParams ? '\u0001' + b.slice(nParams).join('\u0001') : '';
          const op = this.groundOp(action, di, d, b as string[], `${name}\u0001${di}${hidden}`);
          if (!op) return;
          seen.add(name);
          out.push(op);
        });
      });
    }
    return out;
  }

  /** Whether some action's effect can change `pred` (FD's fluent predicates). */
  isFluent(pred: string): boolean {
    return this.fluent.has(pred);
  }

  /** Applies `op` to the true state: effect conditions are read in the old state, and an add beats a delete. */
  apply(op: GroundOp, state: AtomSet): void {
    const firing = op.effects.filter((e) => e.cond.every((c) => state.has(c.pred, c.args) !== c.negated));
    for (const e of firing) if (!e.add) state.delete(e.pred, e.args);
    for (const e of firing) if (e.add) state.add(e.pred, e.args);
  }

  isGoal(state: AtomSet): boolean {
    return satisfiable(this.goal, state, this);
  }

  /** The ground operator of a binding (cached: FD's simplification depends only on the binding), null if a no-op. */
  private groundOp(action: CompiledAction, di: number, d: Disjunct, b: string[], cacheKey: string): GroundOp | null {
    const cached = this.opCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const effects = this.effectsOf(action, d, b);
    const op = effects && {
      schema: action.schema.name,
      name: atomKey(action.schema.name, b.slice(0, action.schema.params.length)),
      params: action.schema.params.map((p, i) => ({ name: p.name, type: p.type, value: b[i]! })),
      effects,
    };
    this.opCache.set(cacheKey, op);
    return op;
  }

  private effectsOf(action: CompiledAction, d: Disjunct, b: string[]): GroundEffect[] | null {
    const env = new Map(d.vars.map((v, i) => [v.name, b[i]!] as const));
    const pre = new Set(d.literals.map((l) => (l.negated ? '-' : '+') + atomKey(l.pred, l.args.map((a) => env.get(a) ?? a))));
    const raw: GroundEffect[] = [];
    this.groundEffect(action.schema.effect, env, [], raw);
    const result: GroundEffect[] = [];
    for (const e of raw) {
      const key = atomKey(e.pred, e.args);
      const condKey = e.cond.map((c) => (c.negated ? '-' : '+') + atomKey(c.pred, c.args)).join('|');
      // FD: a delete that is also added under the same condition is dropped (the add wins).
      if (!e.add && raw.some((o) => o.add && atomKey(o.pred, o.args) === key && o.cond.map((c) => (c.negated ? '-' : '+') + atomKey(c.pred, c.args)).join('|') === condKey)) continue;
      // FD: an effect whose value the precondition already fixes changes nothing and is dropped.
      if (pre.has((e.add ? '+' : '-') + key)) continue;
      // FD: an effect whose condition contradicts the precondition can never fire.
      if (e.cond.some((c) => pre.has((c.negated ? '+' : '-') + atomKey(c.pred, c.args)))) continue;
      if (result.some((r) => r.add === e.add && atomKey(r.pred, r.args) === key && r.cond.length === 0 && e.cond.length === 0)) continue;
      result.push(e);
    }
    return result.length ? result : null;
  }

  private groundEffect(eff: Effect, env: Map<string, string>, cond: Literal[], out: GroundEffect[]): void {
    switch (eff.kind) {
      case 'and':
        for (const p of eff.parts) this.groundEffect(p, env, cond, out);
        return;
      case 'cost':
        return;
      case 'lit':
        out.push({ add: !eff.negated, pred: eff.pred, args: eff.args.map((a) => env.get(a) ?? a), cond });
        return;
      case 'forall': {
        const assign = (i: number, inner: Map<string, string>): void => {
          if (i === eff.params.length) return this.groundEffect(eff.body, inner, cond, out);
          for (const obj of this.objectsOfType(eff.params[i]!.type)) assign(i + 1, new Map(inner).set(eff.params[i]!.name, obj));
        };
        assign(0, env);
        return;
      }
      case 'when': {
        const lits = conditionLiterals(eff.cond);
        const fluentLits: Literal[] = [];
        for (const l of lits) {
          const args = l.args.map((a) => env.get(a) ?? a);
          if (this.fluent.has(l.pred)) fluentLits.push({ pred: l.pred, args, negated: l.negated });
          // FD instantiation: a static condition is decided once, against the initial state.
          else if ((l.pred === '=' ? args[0] === args[1] : this.staticInit.has(l.pred, args)) === l.negated) return;
        }
        this.groundEffect(eff.body, env, [...cond, ...fluentLits], out);
        return;
      }
    }
  }
}

function collectEffectPreds(eff: Effect, out: Set<string>): void {
  if (eff.kind === 'lit') out.add(eff.pred);
  else if (eff.kind === 'and') eff.parts.forEach((p) => collectEffectPreds(p, out));
  else if (eff.kind === 'forall' || eff.kind === 'when') collectEffectPreds(eff.body, out);
}

function conditionLiterals(cond: Cond): Literal[] {
  if (cond.kind === 'lit') return [cond];
  if (cond.kind === 'and') return cond.parts.flatMap(conditionLiterals);
  throw new InvalidArgumentError('PDDL_UNSUPPORTED', 'PDDL: effect conditions must be conjunctions of literals');
}
