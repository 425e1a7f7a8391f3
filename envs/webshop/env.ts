/**
 * WebShop behind rl-ggml's common Env interface. Actions are text: a search action plus `click[key]` for each
 * current clickable. The index-action interface cannot type keywords, so its search action always searches the
 * goal-derived query (the instruction without its price clause, lowercased); `stepText` takes any text action.
 * Episodes end on the purchase or after `maxSteps` (ETO's 10) with reward 0.
 */
import { EnvError, InvalidArgumentError } from '../../src/errors.js';
import type { Env, Observation, ResetOptions, StepResult } from '../core/types.js';
import { ETO_MAX_STEPS } from './eto.js';
import { splitIndices } from './goals.js';
import type { PageState } from './pages.js';
import { goalQuery, WebShopSession } from './session.js';
import { Shop, type ShopOptions } from './shop.js';

export interface WebShopEnvOptions extends ShopOptions {
  /** A fixed goal index (into the shuffled goal list); otherwise reset picks from `split`. */
  goal?: number;
  /** train | dev | test (WebShop's ranges), eto-train | eto-test (ETO's index files), all; default train. */
  split?: string;
  maxSteps?: number;
}

interface Snapshot {
  session: { goal: number; state: PageState };
  steps: number;
  ret: number;
  cursor: number;
}

export class WebShopEnv implements Env {
  readonly id = 'webshop';
  readonly session: WebShopSession;
  readonly indices: number[];
  private readonly fixedGoal: number | undefined;
  private readonly maxSteps: number;
  private steps = 0;
  private ret = 0;
  private cursor = 0;
  private actions: string[] = [];

  constructor(options: WebShopEnvOptions) {
    if (typeof options.dataDir !== 'string') throw new InvalidArgumentError('NO_DATA_DIR', 'webshop: the dataDir option is required');
    const shop = Shop.open(options);
    this.session = new WebShopSession(shop);
    this.indices = splitIndices(options.split ?? 'train', shop.goals.length, shop.dataDir);
    this.fixedGoal = options.goal;
    this.maxSteps = options.maxSteps ?? ETO_MAX_STEPS;
  }

  /** Goal of the next reset: the fixed goal, `split[seed % n]` with a seed, else the split in order. */
  reset(options?: ResetOptions): Observation {
    let goal = this.fixedGoal;
    if (goal === undefined) {
      if (this.indices.length === 0) throw new EnvError('EMPTY_SPLIT', 'webshop: the split has no goals in this catalog');
      const at = options?.seed !== undefined ? options.seed : this.cursor++;
      goal = this.indices[((at % this.indices.length) + this.indices.length) % this.indices.length];
    }
    this.session.reset(goal);
    this.steps = 0;
    this.ret = 0;
    return this.observe();
  }

  private observe(): Observation {
    const s = this.session;
    this.actions = s.done ? [] : [`search[${goalQuery(s.goal)}]`, ...[...s.clickables().keys()].map((k) => `click[${k}]`)];
    return { prompt: s.observation(), actions: this.actions, valid: this.actions.map((_, i) => i), vector: [] };
  }

  step(index: number): StepResult {
    if (!Number.isInteger(index) || index < 0 || index >= this.actions.length) {
      throw new EnvError('BAD_ACTION', `webshop: action ${index} is outside 0..${this.actions.length - 1}`);
    }
    return this.stepText(this.actions[index]);
  }

  /** Any text action (`search[...]`, `click[...]`), counted against the step limit like an indexed one. */
  stepText(action: string): StepResult {
    if (this.session.done || this.steps >= this.maxSteps) throw new EnvError('EPISODE_OVER', 'webshop: the episode is over; reset() first');
    const r = this.session.step(action);
    this.steps++;
    const done = r.done || this.steps >= this.maxSteps;
    const reward = r.done ? r.reward : 0;
    this.ret += reward;
    const observation = this.observe();
    if (done) {
      observation.actions = [];
      observation.valid = [];
      this.actions = [];
    }
    return {
      observation,
      reward,
      done,
      info: { macroSteps: 1, return: this.ret, success: r.done ? r.reward === 1 : done ? false : undefined, goal: this.session.goalId, ...(r.rewardInfo ? { rewardInfo: r.rewardInfo } : {}) },
    };
  }

  save(): Snapshot {
    return { session: this.session.save(), steps: this.steps, ret: this.ret, cursor: this.cursor };
  }

  load(state: unknown): void {
    const s = state as Snapshot;
    if (!s || typeof s !== 'object' || !s.session) throw new EnvError('BAD_SNAPSHOT', 'webshop: not a webshop snapshot');
    this.session.load(s.session);
    this.steps = s.steps;
    this.ret = s.ret;
    this.cursor = s.cursor;
    this.observe();
    if (this.steps >= this.maxSteps) this.actions = [];
  }
}
