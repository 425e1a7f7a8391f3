import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadSourceGame } from '../../../envs/household/env.js';
import { TwPddlGame, type GameOutcome } from '../../../envs/household/game.js';
import { SPLITS, type Split } from '../../../envs/household/gen/generator.js';
import { TASK_IDS } from '../../../envs/household/tasks.js';
import { InvalidArgumentError } from '../../errors.js';
import type { PlayArgs } from './args.js';

/** The game `rl-ggml play` is asked for: a `--game` file, or the generated game of an env id, split and seed. */
function buildGame(argv: PlayArgs): TwPddlGame {
  const split = (argv.split ?? 'train') as Split;
  if (!SPLITS.includes(split)) throw new InvalidArgumentError('BAD_SPLIT', `play: unknown split "${argv.split}" (train|seen|unseen)`);
  if (argv.game !== undefined) return new TwPddlGame(loadSourceGame({ taskType: null, split, seed: 0, gamePath: argv.game }).game);
  const suffix = argv.env?.slice('household/'.length) ?? '';
  if (suffix !== 'mixed' && !(suffix in TASK_IDS)) {
    throw new InvalidArgumentError('UNKNOWN_ENV', `play: unknown household env "${argv.env}"; use household/{${[...Object.keys(TASK_IDS), 'mixed'].join(',')}} or --game`);
  }
  const seed = argv.seed ?? 0;
  return new TwPddlGame(loadSourceGame({ taskType: suffix === 'mixed' ? null : TASK_IDS[suffix]!, split, seed }).game);
}

function show(outcome: GameOutcome): string {
  return `${outcome.feedback}\n\nAdmissible commands:\n${outcome.admissible.map((c) => `  ${c}`).join('\n')}\n`;
}

/**
 * `rl-ggml play household/<task> --seed S` or `--game FILE`: the raw engine (TextWorld's texts, no ETO wrapper).
 * With `--commands FILE` every line is played (also after the game is won, as TextWorld allows); `--json` prints
 * `{reset: {feedback, admissible, won}, steps: [{command, feedback, won, admissible}]}`.
 */
export async function playHousehold(argv: PlayArgs): Promise<void> {
  const game = buildGame(argv);
  const reset = game.reset();
  if (argv.commands !== undefined) {
    const lines = readFileSync(argv.commands, 'utf8').split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    const steps = lines.map((command) => {
      const o = game.step(command);
      return { command, feedback: o.feedback, won: o.won, admissible: o.admissible };
    });
    if (argv.json) {
      process.stdout.write(`${JSON.stringify({ reset: { feedback: reset.feedback, admissible: reset.admissible, won: reset.won }, steps })}\n`);
    } else {
      process.stdout.write(show(reset));
      for (const s of steps) process.stdout.write(`\n> ${s.command}\n${show(s)}${s.won ? 'You won!\n' : ''}`);
    }
    return;
  }
  process.stdout.write(show(reset));
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  rl.setPrompt('> ');
  rl.prompt();
  for await (const line of rl) {
    const o = game.step(line);
    process.stdout.write(show(o));
    if (o.won) {
      process.stdout.write('You won!\n');
      break;
    }
    rl.prompt();
  }
  rl.close();
}
