import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Env, Observation } from '../../../envs/core/types.js';
import { getEnvSpec } from '../../../envs/registry.js';
import { EnvError, InvalidArgumentError } from '../../errors.js';
import type { PlayArgs } from './args.js';

/**
 * `rl-ggml play` for environments whose agents pick actions by index (TWOSOME's Overcooked and VirtualHome, or any
 * registered id): interactive play, a fixed `--actions` sequence, or `--replay` of recorded episodes.
 */

/** One decision, as `--json` prints it. */
export interface StepRecord {
  /** Decision number in the episode, from 0. */
  step: number;
  /** Action phrases and offered indices before the step. */
  actions: string[];
  valid: number[];
  action: number;
  reward: number;
  done: boolean;
  macroSteps: number;
  /** The raw observation vector after the step. */
  obs: number[];
  /** The logged return so far (the environment's `info.return`; TWOSOME's discounted G for Overcooked). */
  return: number;
}

export interface EpisodeRecord {
  env: string;
  actions: number[];
  steps: StepRecord[];
  return: number;
  /** Primitive steps: the sum of `macroSteps` (TWOSOME's logged episode length). */
  length: number;
}

/** An episode being played: the current observation and what has happened so far. */
class Episode {
  observation: Observation;
  readonly steps: StepRecord[] = [];
  done = false;
  return = 0;
  length = 0;

  constructor(private readonly env: Env) {
    this.observation = env.reset();
  }

  /**
   * Plays one action index. An index outside the action list is an error; one inside it that is not offered is
   * passed on, so the environment behaves as its original does.
   */
  play(action: number): StepRecord {
    const before = this.observation;
    if (!Number.isInteger(action) || action < 0 || action >= before.actions.length) {
      throw new EnvError('INVALID_ACTION', `${this.env.id}: action ${action} at step ${this.steps.length} is outside the action list 0..${before.actions.length - 1}`);
    }
    const { observation, reward, done, info } = this.env.step(action);
    this.observation = observation;
    this.done = done;
    this.return = info.return;
    this.length += info.macroSteps;
    const record: StepRecord = {
      step: this.steps.length,
      actions: before.actions,
      valid: before.valid,
      action,
      reward,
      done,
      macroSteps: info.macroSteps,
      obs: observation.vector,
      return: info.return,
    };
    this.steps.push(record);
    return record;
  }
}

const write = (line: string) => process.stdout.write(`${line}\n`);

function showObservation(obs: Observation): void {
  write('');
  write(obs.prompt);
  for (const i of obs.valid) write(`  ${i}) ${obs.actions[i]}`);
}

function showStep(r: StepRecord): void {
  write(`-> ${r.actions[r.action]}: reward ${r.reward}, done ${r.done} (${r.macroSteps} primitive step${r.macroSteps === 1 ? '' : 's'}, return ${r.return})`);
}

function showEnd(e: Episode): void {
  write(`Episode ${e.done ? 'finished' : 'stopped'}: return ${e.return}, length ${e.length}, ${e.steps.length} decisions.`);
}

/** Parses "0,3,1" into indices. */
export function parseActions(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^-?\d+$/.test(p))) throw new InvalidArgumentError('BAD_ACTIONS', `--actions must be comma-separated integers, got "${text}"`);
  return parts.map(Number);
}

/** Replays one episode's actions from reset, stopping at done. */
export function replayEpisode(env: string, actions: number[]): EpisodeRecord {
  const episode = new Episode(getEnvSpec(env).create());
  for (const a of actions) {
    if (episode.done) break;
    episode.play(a);
  }
  return { env, actions, steps: episode.steps, return: episode.return, length: episode.length };
}

function readReplayFile(file: string, defaultEnv: string | undefined): { env: string; actions: number[] }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError('BAD_REPLAY', `cannot read replay file ${file}: ${(err as Error).message}`);
  }
  const episodes: { env: string; actions: number[] }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let parsed: { env?: unknown; actions?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InvalidArgumentError('BAD_REPLAY', `${where}: not a JSON object`);
    }
    const env = parsed?.env ?? defaultEnv;
    if (typeof env !== 'string') throw new InvalidArgumentError('BAD_REPLAY', `${where}: missing "env"`);
    if (!Array.isArray(parsed.actions) || !parsed.actions.every((a) => Number.isInteger(a))) {
      throw new InvalidArgumentError('BAD_REPLAY', `${where}: "actions" must be an array of integers`);
    }
    episodes.push({ env, actions: parsed.actions as number[] });
  });
  return episodes;
}

function replayFile(argv: PlayArgs): void {
  for (const { env, actions } of readReplayFile(argv.replay!, argv.env)) {
    const record = replayEpisode(env, actions);
    if (argv.json) {
      write(JSON.stringify(record));
      continue;
    }
    write(`${env} [${actions.join(',')}]`);
    for (const s of record.steps) showStep(s);
    write(`return ${record.return}, length ${record.length}, ${record.steps.length} decisions`);
  }
}

function playFixed(episode: Episode, actions: number[], json: boolean): void {
  if (!json) showObservation(episode.observation);
  for (const a of actions) {
    if (episode.done) break;
    const record = episode.play(a);
    if (json) {
      write(JSON.stringify(record));
    } else {
      showStep(record);
      if (!episode.done) showObservation(episode.observation);
    }
  }
  if (!json) showEnd(episode);
}

/** Reads choices line by line (a terminal or piped stdin) until the episode ends or input runs out. */
async function playInteractive(episode: Episode, json: boolean): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  const lines = rl[Symbol.asyncIterator]();
  try {
    let show = true;
    while (!episode.done) {
      const obs = episode.observation;
      if (!json) {
        if (show) showObservation(obs);
        process.stdout.write('action> ');
      }
      const next = await lines.next();
      if (next.done) break;
      const text = next.value.trim();
      const action = /^\d+$/.test(text) ? Number(text) : NaN;
      show = action < obs.actions.length;
      if (!show) {
        process.stderr.write(`not an action number: "${text}" (choose 0..${obs.actions.length - 1})\n`);
        continue;
      }
      if (!obs.valid.includes(action)) process.stderr.write(`note: action ${action} is not offered here; playing it as the original would\n`);
      const record = episode.play(action);
      if (json) write(JSON.stringify(record));
      else showStep(record);
    }
  } finally {
    rl.close();
  }
  if (!json) {
    write('');
    showEnd(episode);
  }
}

export async function playIndexed(argv: PlayArgs): Promise<void> {
  if (argv.replay !== undefined) {
    replayFile(argv);
    return;
  }
  if (!argv.env) throw new InvalidArgumentError('MISSING_ENV', 'play: give an environment id (see `rl-ggml env list`) or --replay FILE');
  const episode = new Episode(getEnvSpec(argv.env).create());
  if (argv.actions !== undefined) playFixed(episode, parseActions(argv.actions), argv.json);
  else await playInteractive(episode, argv.json);
}
