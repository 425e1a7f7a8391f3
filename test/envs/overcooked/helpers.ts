import { makeEnv } from '../../../envs/registry.js';
import type { Env, StepResult } from '../../../envs/core/types.js';
import type { Snapshot } from '../../../envs/overcooked/env.js';
import { Loc, type KitchenState } from '../../../envs/overcooked/kitchen.js';

export const TS = 'overcooked/tomato-salad';
export const TLS = 'overcooked/tomato-lettuce-salad';


/** Plays `actions` from reset; returns every step result. */
export function play(id: string, actions: number[]): { env: Env; steps: StepResult[] } {
  const env = makeEnv(id);
  env.reset();
  return { env, steps: actions.map((a) => env.step(a)) };
}

/** The decision-state key of the spec's count (spec 14.2): item/agent configuration, bowl contents as a set, no clock. */
function configKey(k: KitchenState): string {
  return JSON.stringify({ ...k, bowl: { ...k.bowl, contents: [...k.bowl.contents].sort() } });
}

export interface Transition {
  from: Snapshot;
  action: number;
  result: StepResult;
  to: Snapshot;
}

/**
 * Every decision state reachable from reset (terminal ones — a delivered bowl — are not decision states), with
 * every action's transition from it. States are taken at t = 0 so that no transition runs into the horizon.
 */
export function enumerate(id: string): { states: Snapshot[]; transitions: Transition[] } {
  const env = makeEnv(id);
  env.reset();
  const actionCount = env.reset().actions.length;
  const start = env.save() as Snapshot;
  const seen = new Set([configKey(start.kitchen)]);
  const states: Snapshot[] = [];
  const transitions: Transition[] = [];
  const queue = [start];
  while (queue.length > 0) {
    const from = queue.shift()!;
    if (from.kitchen.bowl.loc === Loc.Delivered) continue;
    states.push(from);
    for (let action = 0; action < actionCount; action++) {
      env.load(from);
      const result = env.step(action);
      const to = { ...(env.save() as Snapshot), t: 0, logged: 0, discount: 1 };
      transitions.push({ from, action, result, to });
      const key = configKey(to.kitchen);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(to);
      }
    }
  }
  return { states, transitions };
}

/** Σ_k 0.99^k r_k accumulated in order, for a macro of n steps whose last step carries `bonus`. */
export function macroReturn(n: number, bonus: number): number {
  let R = 0;
  let d = 1;
  for (let k = 0; k < n; k++) {
    let r = -0.001;
    if (k === n - 1 && bonus !== 0) r += bonus;
    R += d * r;
    d *= 0.99;
  }
  return R;
}
