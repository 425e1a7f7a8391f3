import { EnvError } from '../../src/errors.js';
import type { Env, Observation, ResetOptions, StepResult } from '../core/types.js';
import { TwPddlGame, type GameFile } from './game.js';
import { generateGame, type Split } from './gen/generator.js';
import { hashString } from './gen/rng.js';
import { readGameFile } from './loader.js';
import { TASK_TYPES, type TaskSpec, type TaskType } from './tasks.js';
import { ETO_MAX_STEPS, etoObservation, etoReward, etoTaskText } from './wrapper.js';

/** Where an env's games come from: a fixed game file, or generated games of a task type (null = mixed). */
export interface HouseholdSource {
  taskType: TaskType | null;
  split: Split;
  seed: number;
  gamePath?: string;
}

/** The task type of a mixed env's game `seed`. */
export function mixedTaskType(split: Split, seed: number): TaskType {
  return TASK_TYPES[hashString(`mixed:${split}:${seed}`) % TASK_TYPES.length]!;
}

/** Builds the game a source names: the file's, or the generated game of (type, split, seed). */
export function loadSourceGame(source: HouseholdSource): { game: GameFile; task: TaskSpec | null } {
  if (source.gamePath) return readGameFile(source.gamePath);
  const type = source.taskType ?? mixedTaskType(source.split, source.seed);
  const g = generateGame(type, source.split, source.seed);
  return { game: g.game, task: g.task };
}

/**
 * The agent-facing household env with ETO's conventions: the first prompt is the reset text without its banner, each
 * later prompt is `Observation: <feedback>` (a leading `You arrive at loc N. ` removed), the actions are the admissible
 * commands, reward 1 when the game is won, and episodes end when won or after 40 steps.
 */
export class HouseholdEnv implements Env {
  private game!: TwPddlGame;
  private steps = 0;
  private done = false;
  private task: TaskSpec | null = null;

  constructor(
    readonly id: string,
    private source: HouseholdSource,
    private readonly maxSteps = ETO_MAX_STEPS,
  ) {
    this.build();
  }

  /** The task of the current game, when known. */
  get taskSpec(): TaskSpec | null {
    return this.task;
  }

  get engine(): TwPddlGame {
    return this.game;
  }

  reset(options?: ResetOptions): Observation {
    if (options?.seed !== undefined && !this.source.gamePath && options.seed !== this.source.seed) {
      this.source = { ...this.source, seed: options.seed };
      this.build();
    }
    this.steps = 0;
    this.done = false;
    const outcome = this.game.reset();
    return this.observation(etoTaskText(outcome.feedback));
  }

  step(index: number): StepResult {
    const actions = this.game.admissible;
    if (!Number.isInteger(index) || index < 0 || index >= actions.length) {
      throw new EnvError('BAD_ACTION', `household: action index ${index} is outside 0..${actions.length - 1}`);
    }
    if (this.done) throw new EnvError('EPISODE_DONE', 'household: the episode is over; call reset()');
    const outcome = this.game.step(actions[index]!);
    this.steps++;
    const reward = etoReward(outcome);
    this.done = outcome.won || this.steps >= this.maxSteps;
    return { observation: this.observation(etoObservation(outcome.feedback)), reward, done: this.done, info: { macroSteps: 1, return: reward, success: outcome.won } };
  }

  save(): unknown {
    return { source: this.source, steps: this.steps, done: this.done, game: this.game.save() };
  }

  load(state: unknown): void {
    const s = state as { source?: HouseholdSource; steps?: number; done?: boolean; game?: unknown };
    if (!s?.source || typeof s.steps !== 'number') throw new EnvError('BAD_SNAPSHOT', 'household: not a household env snapshot');
    this.source = s.source;
    this.build();
    this.game.load(s.game);
    this.steps = s.steps;
    this.done = Boolean(s.done);
  }

  private build(): void {
    const { game, task } = loadSourceGame(this.source);
    this.game = new TwPddlGame(game);
    this.task = task;
    this.game.reset();
  }

  private observation(prompt: string): Observation {
    const actions = [...this.game.admissible];
    return { prompt, actions, valid: actions.map((_, i) => i), vector: [] };
  }
}
