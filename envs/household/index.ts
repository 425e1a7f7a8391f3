import { InvalidArgumentError } from '../../src/errors.js';
import type { EnvSpec } from '../core/types.js';
import { HouseholdEnv } from './env.js';
import { SPLITS, type Split } from './gen/generator.js';
import { TASK_IDS, type TaskType } from './tasks.js';
import { ETO_MAX_STEPS } from './wrapper.js';

function options(o: Record<string, unknown> | undefined): { split: Split; seed: number; game?: string } {
  const split = (o?.split ?? 'train') as Split;
  if (!SPLITS.includes(split)) throw new InvalidArgumentError('BAD_SPLIT', `household: unknown split "${String(o?.split)}" (train|seen|unseen)`);
  const seed = o?.seed === undefined ? 0 : Number(o.seed);
  if (!Number.isInteger(seed)) throw new InvalidArgumentError('BAD_SEED', `household: seed must be an integer, got ${String(o?.seed)}`);
  if (o?.game !== undefined && typeof o.game !== 'string') throw new InvalidArgumentError('BAD_GAME', 'household: "game" must be a file path');
  return { split, seed, game: o?.game as string | undefined };
}

function spec(id: string, taskType: TaskType | null, what: string): EnvSpec {
  return {
    id,
    description: `ALFWorld-compatible household text game: ${what} (generated; or any game.tw-pddl via {game})`,
    actionCount: null,
    horizon: ETO_MAX_STEPS,
    optimalReturn: 1,
    create: (o) => {
      const { split, seed, game } = options(o);
      return new HouseholdEnv(id, { taskType, split, seed, gamePath: game });
    },
  };
}

const WHAT: Record<string, string> = {
  'pick-and-place': 'pick & place',
  'look-at-in-light': 'examine an object in light',
  'clean-and-place': 'clean & place',
  'heat-and-place': 'heat & place',
  'cool-and-place': 'cool & place',
  'pick-two-and-place': 'pick two & place',
};

export const specs: EnvSpec[] = [
  ...Object.entries(TASK_IDS).map(([suffix, type]) => spec(`household/${suffix}`, type, WHAT[suffix]!)),
  spec('household/mixed', null, 'all six task types'),
];
