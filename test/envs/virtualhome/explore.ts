/** Test helpers: exhaustive exploration of a task model's state space, and env construction. */
import type { Env } from '../../../envs/core/types.js';
import { specs } from '../../../envs/virtualhome/index.js';
import type { TaskModel } from '../../../envs/virtualhome/model.js';

export interface Transition {
  action: number;
  executed: boolean;
  to: string;
}

export interface StateGraph<S> {
  initial: string;
  /** State key → state. */
  states: Map<string, S>;
  /** State key → its transitions (none out of a success state when `stopAtSuccess`). */
  edges: Map<string, Transition[]>;
}

export const keyOf = <S>(model: TaskModel<S>, state: S): string => JSON.stringify(model.encode(state));

/** Breadth-first search from the start state, taking every action or only the offered ones. */
export function explore<S>(model: TaskModel<S>, opts: { offeredOnly: boolean; stopAtSuccess: boolean }): StateGraph<S> {
  const start = model.initial();
  const initial = keyOf(model, start);
  const states = new Map([[initial, start]]);
  const edges = new Map<string, Transition[]>();
  const queue = [initial];
  const all = model.actions.map((_, i) => i);
  while (queue.length > 0) {
    const key = queue.shift()!;
    const state = states.get(key)!;
    const features = model.features(state);
    const out: Transition[] = [];
    edges.set(key, out);
    if (opts.stopAtSuccess && model.success(features) && key !== initial) continue;
    for (const action of opts.offeredOnly ? model.offered(features) : all) {
      const next = model.copy(state);
      const executed = model.execute(next, action);
      const to = keyOf(model, next);
      out.push({ action, executed, to });
      if (!states.has(to)) {
        states.set(to, next);
        queue.push(to);
      }
    }
  }
  return { initial, states, edges };
}

/** Keys of the states from which a success state can be reached along the graph's edges. */
export function canSucceed<S>(model: TaskModel<S>, graph: StateGraph<S>): Set<string> {
  const good = new Set([...graph.states].filter(([, s]) => model.success(model.features(s))).map(([k]) => k));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [key, out] of graph.edges) {
      if (!good.has(key) && out.some((t) => good.has(t.to))) {
        good.add(key);
        changed = true;
      }
    }
  }
  return good;
}

/** Every shortest action sequence from the start to a success state (over all actions). */
export function shortestPlans<S>(model: TaskModel<S>): number[][] {
  const graph = explore(model, { offeredOnly: false, stopAtSuccess: true });
  const plans = new Map<string, number[][]>([[graph.initial, [[]]]]);
  const depth = new Map([[graph.initial, 0]]);
  const queue = [graph.initial];
  while (queue.length > 0) {
    const key = queue.shift()!;
    for (const t of graph.edges.get(key)!) {
      if (!depth.has(t.to)) {
        depth.set(t.to, depth.get(key)! + 1);
        plans.set(t.to, []);
        queue.push(t.to);
      }
      if (depth.get(t.to) === depth.get(key)! + 1) for (const p of plans.get(key)!) plans.get(t.to)!.push([...p, t.action]);
    }
  }
  const goals = [...graph.states].filter(([, s]) => model.success(model.features(s))).map(([k]) => k);
  const best = Math.min(...goals.map((k) => depth.get(k)!));
  return goals.filter((k) => depth.get(k) === best).flatMap((k) => plans.get(k)!);
}

/** Exact probability that uniform choice among the offered actions succeeds within `horizon` steps. */
export function randomSuccessProbability<S>(model: TaskModel<S>, horizon: number): number {
  const graph = explore(model, { offeredOnly: true, stopAtSuccess: true });
  const isGoal = (k: string) => model.success(model.features(graph.states.get(k)!));
  let p = new Map([...graph.states.keys()].map((k) => [k, isGoal(k) ? 1 : 0]));
  for (let t = 0; t < horizon; t++) {
    const next = new Map<string, number>();
    for (const [key, out] of graph.edges) {
      next.set(key, isGoal(key) ? 1 : out.reduce((sum, tr) => sum + p.get(tr.to)!, 0) / out.length);
    }
    p = next;
  }
  return p.get(graph.initial)!;
}

/** A feature mask as the spec writes it: bit 0 first. */
export function bits(features: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += (features >>> i) & 1;
  return s;
}

/** Runs actions from the start state, returning the state. */
export function run<S>(model: TaskModel<S>, actions: number[]): S {
  const s = model.initial();
  for (const a of actions) model.execute(s, a);
  return s;
}

/** A VirtualHome environment by id, straight from this family's specs (independent of other families). */
export function makeEnv(id: string): Env {
  const spec = specs.find((s) => s.id === id);
  if (spec === undefined) throw new Error(`no VirtualHome spec ${id}`);
  return spec.create();
}
