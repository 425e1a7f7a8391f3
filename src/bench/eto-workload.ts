/** ETO's training data for benchmarks: the household expert's conversations of generated games, one task type after another. */
import { TwPddlGame } from '../../envs/household/game.js';
import { generateGame } from '../../envs/household/gen/generator.js';
import { TASK_TYPES } from '../../envs/household/tasks.js';
import { expertConversation } from '../cli/experts/household.js';
import type { Turn } from '../training/conversation.js';

/** The expert's conversations of `n` games of the train split (seeds 1, 2, ...; a game the expert cannot solve is skipped). */
export function householdExperts(n: number): Turn[][] {
  const out: Turn[][] = [];
  for (let seed = 1; out.length < n; seed++) {
    const g = generateGame(TASK_TYPES[seed % TASK_TYPES.length], 'train', seed);
    const c = expertConversation(`bench/${seed}`, new TwPddlGame(g.game), g.task);
    if (c) out.push(c.conversations);
  }
  return out;
}
