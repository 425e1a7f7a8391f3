import type { EnvSpec } from '../core/types.js';
import { OvercookedEnv } from './env.js';
import { HORIZON, TOMATO_LETTUCE_SALAD, TOMATO_SALAD, type TaskConfig } from './tasks.js';

export { OvercookedEnv } from './env.js';

/** Highest logged return (discounted G), confirmed by value iteration over all reachable states (spec section 10). */
const OPTIMAL: Record<string, number> = {
  [TOMATO_SALAD.id]: 0.920518092564195,
  [TOMATO_LETTUCE_SALAD.id]: 0.9476564569165644,
};

const spec = (cfg: TaskConfig, description: string): EnvSpec => ({
  id: cfg.id,
  description,
  actionCount: cfg.macros.length,
  // 200 primitive steps; every decision takes at least one, so no episode has more than 200 decisions.
  horizon: HORIZON,
  optimalReturn: OPTIMAL[cfg.id],
  create: () => new OvercookedEnv(cfg),
});

export const specs: EnvSpec[] = [
  spec(TOMATO_SALAD, 'TWOSOME Overcooked: chop a tomato, put it in the bowl and serve it (macro-actions)'),
  spec(TOMATO_LETTUCE_SALAD, 'TWOSOME Overcooked: serve a bowl of chopped tomato and lettuce, onion is a decoy (macro-actions)'),
];
