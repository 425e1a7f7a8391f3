import { writeFileSync } from 'node:fs';
import { mixedTaskType } from '../../../envs/household/env.js';
import { runExpert } from '../../../envs/household/expert.js';
import { TwPddlGame } from '../../../envs/household/game.js';
import { generateGame, SPLITS, type Split } from '../../../envs/household/gen/generator.js';
import { listGames, readGameFile } from '../../../envs/household/loader.js';
import { TASK_IDS, type TaskSpec } from '../../../envs/household/tasks.js';
import { ETO_MAX_STEPS, etoObservation, etoTaskText, HOUSEHOLD_INSTRUCTION } from '../../../envs/household/wrapper.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ExpertsArgs } from './args.js';

/** A trajectory in ETO's conversation format. */
export interface Conversation {
  id: string;
  conversations: { from: 'human' | 'gpt'; value: string }[];
}

/** The expert's run on `game` as an ETO conversation, or null if it does not win within ETO's step limit. */
export function expertConversation(id: string, game: TwPddlGame, task: TaskSpec): Conversation | null {
  const run = runExpert(game, task, ETO_MAX_STEPS);
  if (!run.won) return null;
  const conversations: Conversation['conversations'] = [
    { from: 'human', value: HOUSEHOLD_INSTRUCTION },
    { from: 'gpt', value: 'OK' },
    { from: 'human', value: etoTaskText(run.reset.feedback) },
  ];
  run.steps.forEach((s, i) => {
    conversations.push({ from: 'gpt', value: `Thought: ${s.thought}\nAction: ${s.command}` });
    if (i < run.steps.length - 1) conversations.push({ from: 'human', value: etoObservation(s.feedback) });
  });
  return { id, conversations };
}

/**
 * `rl-ggml experts --env household/<task>|household/mixed --split S --n N --out FILE`: expert trajectories of the
 * generated games with seeds seed..seed+N-1 (or, with `--data-dir`, of the first N solvable games of an ALFWorld data
 * folder's split that the expert wins within 40 steps).
 */
export async function householdExperts(argv: ExpertsArgs): Promise<void> {
  const split = argv.split as Split;
  if (!SPLITS.includes(split)) throw new InvalidArgumentError('BAD_SPLIT', `experts: unknown split "${argv.split}" (train|seen|unseen)`);
  const suffix = argv.env.startsWith('household/') ? argv.env.slice('household/'.length) : '';
  if (suffix !== 'mixed' && !(suffix in TASK_IDS)) throw new InvalidArgumentError('UNKNOWN_ENV', `experts: unknown environment "${argv.env}"`);
  if (!Number.isInteger(argv.n) || argv.n < 0) throw new InvalidArgumentError('BAD_N', `experts: --n must be a non-negative integer`);
  const out: Conversation[] = [];
  let tried = 0;
  if (argv.dataDir !== undefined) {
    for (const entry of listGames(argv.dataDir, split)) {
      if (out.length >= argv.n) break;
      if (suffix !== 'mixed' && entry.taskType !== TASK_IDS[suffix]) continue;
      const { game, task } = readGameFile(entry.path);
      tried++;
      const conv = task && expertConversation(entry.path, new TwPddlGame(game), task);
      if (conv) out.push(conv);
    }
  } else {
    for (let i = 0; i < argv.n; i++) {
      const seed = argv.seed + i;
      const type = suffix === 'mixed' ? mixedTaskType(split, seed) : TASK_IDS[suffix]!;
      const g = generateGame(type, split, seed);
      tried++;
      const conv = expertConversation(`household/${type}/${split}/${seed}`, new TwPddlGame(g.game), g.task);
      if (conv) out.push(conv);
    }
  }
  writeFileSync(argv.out, `${JSON.stringify(out, null, 1)}\n`);
  const summary = { env: argv.env, split, games: tried, trajectories: out.length, out: argv.out };
  process.stdout.write(argv.json ? `${JSON.stringify(summary)}\n` : `wrote ${out.length} of ${tried} expert trajectories to ${argv.out}\n`);
}
