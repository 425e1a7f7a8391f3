import { writeFileSync } from 'node:fs';
import { householdGames } from '../../../envs/chat-tasks.js';
import { runExpert } from '../../../envs/household/expert.js';
import { TwPddlGame } from '../../../envs/household/game.js';
import type { TaskSpec } from '../../../envs/household/tasks.js';
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
  if (!Number.isInteger(argv.n) || argv.n < 0) throw new InvalidArgumentError('BAD_N', `experts: --n must be a non-negative integer`);
  const out: Conversation[] = [];
  let tried = 0;
  for (const g of householdGames(argv.env, argv.split, argv.seed, argv.dataDir)) {
    // generated games: N attempts; a data folder: until N wins
    if (argv.dataDir === undefined ? tried >= argv.n : out.length >= argv.n) break;
    tried++;
    const conv = g.task && expertConversation(g.id, new TwPddlGame(g.game), g.task);
    if (conv) out.push(conv);
  }
  writeFileSync(argv.out, `${JSON.stringify(out, null, 1)}\n`);
  const summary = { env: argv.env, split: argv.split, games: tried, trajectories: out.length, out: argv.out };
  process.stdout.write(argv.json ? `${JSON.stringify(summary)}\n` : `wrote ${out.length} of ${tried} expert trajectories to ${argv.out}\n`);
}
