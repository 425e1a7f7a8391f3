/**
 * A user's own environment, for tests of registerEnv and the CLI's --import (which loads this module: it exports
 * `envs`).
 */
import type { Env, EnvSpec, Observation, StepResult } from '../../envs/core/types.js';
import { EnvError } from '../../src/errors.js';

const ACTIONS = ['turn on the lamp', 'open the window', 'sit down'];

/** A dark room: turning on the lamp wins (reward 1); anything else wastes one of four steps. */
class DarkRoom implements Env {
  readonly id = 'mine/dark-room';
  private steps = 0;
  private observation(): Observation {
    return { prompt: `The room is dark and you hold a match. Step ${this.steps + 1}. Your next step is to`, actions: ACTIONS, valid: [0, 1, 2], vector: [] };
  }
  reset(): Observation {
    this.steps = 0;
    return this.observation();
  }
  step(index: number): StepResult {
    if (!(index in ACTIONS)) throw new EnvError('INVALID_ACTION', `no action ${index}`);
    this.steps++;
    const won = index === 0;
    return { observation: this.observation(), reward: won ? 1 : 0, done: won || this.steps === 4, info: { macroSteps: 1, return: won ? 1 : 0, success: won } };
  }
  save(): unknown {
    return { steps: this.steps };
  }
  load(state: unknown): void {
    this.steps = (state as { steps: number }).steps;
  }
}

export const darkRoom: EnvSpec = { id: 'mine/dark-room', description: 'light the lamp', actionCount: 3, horizon: 4, optimalReturn: 1, create: () => new DarkRoom() };

/** What `--import` registers. */
export const envs = [darkRoom];
