/**
 * The gym-level wrapper around a task model (spec virtualhome.md §3.0, §5): step counter, 50-step horizon,
 * reward and done from the features after the step, and the environment's own 0.95-discounted logged return.
 */
import { EnvError } from '../../src/errors.js';
import type { Env, Observation, StepResult } from '../core/types.js';
import type { TaskModel } from './model.js';
import { asRecord, readIndex, readNumber } from './state-json.js';

/** `max_episode_length`: the step that brings the counter to 50 always ends the episode. */
export const HORIZON = 50;
/** Discount of the logged return (independent of the trainer's gamma). */
export const LOG_DISCOUNT = 0.95;

/**
 * The logged return of a success of `length` steps, computed as the original does (repeated multiplication,
 * which can differ from Math.pow in the last bit).
 */
export function successReturn(length: number): number {
  let discount = 1;
  for (let i = 1; i < length; i++) discount *= LOG_DISCOUNT;
  return discount;
}

/**
 * Observations depend on the feature vector only, so each distinct one is built once and shared (frozen, so a
 * caller that mutates one fails loudly instead of corrupting the cache).
 */
class ObservationTable {
  private readonly byFeatures = new Map<number, Observation>();
  private readonly actions: string[];

  constructor(private readonly model: TaskModel<unknown>) {
    this.actions = Object.freeze([...model.actions]) as string[];
  }

  get(features: number): Observation {
    let obs = this.byFeatures.get(features);
    if (obs === undefined) {
      const vector = Array.from({ length: this.model.featureCount }, (_, i) => (features >>> i) & 1);
      obs = Object.freeze({
        prompt: this.model.prompt(features),
        actions: this.actions,
        valid: Object.freeze(this.model.offered(features)) as number[],
        vector: Object.freeze(vector) as number[],
      });
      this.byFeatures.set(features, obs);
    }
    return obs;
  }
}

const tables = new WeakMap<TaskModel<unknown>, ObservationTable>();

function tableFor(model: TaskModel<unknown>): ObservationTable {
  let table = tables.get(model);
  if (table === undefined) {
    table = new ObservationTable(model);
    tables.set(model, table);
  }
  return table;
}

export class VirtualHomeEnv<S> implements Env {
  private state: S;
  private steps = 0;
  private totalReturn = 0;
  private discount = 1;
  private readonly observations: ObservationTable;

  constructor(
    readonly id: string,
    private readonly model: TaskModel<S>,
  ) {
    this.state = model.initial();
    this.observations = tableFor(model as TaskModel<unknown>);
  }

  /** Deterministic: the seed is accepted and ignored, as the original's dynamics never use randomness. */
  reset(): Observation {
    this.state = this.model.initial();
    this.steps = 0;
    this.totalReturn = 0;
    this.discount = 1;
    return this.observation();
  }

  /**
   * Any index of the action list is executed by the task's rules, offered or not (a non-offered one is usually a
   * silent no-op that still costs a step). Stepping on after `done` continues the episode as the original gym
   * environment would without a reset.
   */
  step(index: number): StepResult {
    if (!Number.isInteger(index) || index < 0 || index >= this.model.actions.length) {
      throw new EnvError(
        'BAD_ACTION',
        `${this.id}: action index ${index} is outside the action list [0, ${this.model.actions.length - 1}]`,
      );
    }
    const executed = this.model.execute(this.state, index);
    this.steps++;
    const features = this.model.features(this.state);
    const success = this.model.success(features);
    const reward = success ? 1 : 0;
    this.totalReturn += this.discount * reward;
    this.discount *= LOG_DISCOUNT;
    return {
      observation: this.observations.get(features),
      reward,
      done: success || this.steps >= HORIZON,
      info: { macroSteps: 1, return: this.totalReturn, success, executed, steps: this.steps },
    };
  }

  /** The current observation (what the last reset or step returned). */
  observation(): Observation {
    return this.observations.get(this.model.features(this.state));
  }

  save(): { id: string; state: Record<string, unknown>; steps: number; totalReturn: number; discount: number } {
    return {
      id: this.id,
      state: this.model.encode(this.state),
      steps: this.steps,
      totalReturn: this.totalReturn,
      discount: this.discount,
    };
  }

  load(saved: unknown): void {
    const record = asRecord(saved, `${this.id} snapshot`);
    if (record.id !== this.id) {
      throw new EnvError('BAD_STATE', `snapshot of ${JSON.stringify(record.id)} cannot be loaded into ${this.id}`);
    }
    const state = this.model.decode(record.state);
    const steps = readIndex(record, 'steps', Number.MAX_SAFE_INTEGER);
    const totalReturn = readNumber(record, 'totalReturn');
    const discount = readNumber(record, 'discount');
    this.state = state;
    this.steps = steps;
    this.totalReturn = totalReturn;
    this.discount = discount;
  }
}
