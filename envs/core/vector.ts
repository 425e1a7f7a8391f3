import { EnvError, InvalidArgumentError } from '../../src/errors.js';
import { makeEnv } from '../registry.js';
import type { Env, Observation, ResetOptions, StepInfo } from './types.js';

/** One finished episode, as the training loop logs it. */
export interface FinishedEpisode {
  /** Index of the environment in the vector. */
  env: number;
  /** The environment's logged return at the final step (`info.return`, e.g. TWOSOME's discounted G). */
  return: number;
  /** Primitive steps: the sum of `info.macroSteps` over the episode (TWOSOME's `l`; the decision count where there are no macro-actions). */
  length: number;
  /** Decisions (calls to `step`) the episode took. */
  decisions: number;
  success?: boolean;
  /** The observation the episode ended on (the vector hands back the next episode's start observation instead). */
  finalObservation: Observation;
}

export interface VectorStepResult {
  /** Current observation of each environment: the start observation of a new episode where one just finished. */
  observations: Observation[];
  rewards: number[];
  dones: boolean[];
  infos: StepInfo[];
  /** Every episode that finished in this step, in environment order (TWOSOME logged only the first; quirk Q10). */
  finished: FinishedEpisode[];
}

export interface VectorEnvOptions {
  /** Reset options of each episode (e.g. a seed), from the environment index and that environment's episode number. */
  resetOptions?: (env: number, episode: number) => ResetOptions | undefined;
}

/** Everything needed to resume a vector exactly where it was (training checkpoints); JSON-serializable. */
export interface VectorEnvState {
  ids: string[];
  envs: unknown[];
  observations: Observation[];
  episodes: number[];
  decisions: number[];
  lengths: number[];
}

/**
 * Steps N environments in lockstep and resets finished ones at once, as gym's SyncVectorEnv does for TWOSOME: the
 * reward and done flag of a final step are kept, its observation is replaced by the next episode's start.
 */
export class VectorEnv {
  private observations: Observation[] = [];
  /** Episodes started so far per environment (the current one included). */
  private episodes: number[];
  private decisions: number[];
  private lengths: number[];

  constructor(
    readonly envs: readonly Env[],
    private readonly options: VectorEnvOptions = {},
  ) {
    if (envs.length === 0) throw new InvalidArgumentError('EMPTY_VECTOR', 'a vector environment needs at least one environment');
    this.episodes = envs.map(() => 0);
    this.decisions = envs.map(() => 0);
    this.lengths = envs.map(() => 0);
  }

  get size(): number {
    return this.envs.length;
  }

  /** Current observations (after `reset` or the last `step`). */
  get current(): readonly Observation[] {
    return this.observations;
  }

  reset(): Observation[] {
    this.observations = this.envs.map((_, i) => this.startEpisode(i));
    return [...this.observations];
  }

  step(actions: readonly number[]): VectorStepResult {
    if (this.observations.length === 0) throw new EnvError('NOT_RESET', 'vector environment stepped before reset()');
    if (actions.length !== this.size) {
      throw new InvalidArgumentError('BAD_ACTIONS', `expected ${this.size} actions (one per environment), got ${actions.length}`);
    }
    const rewards: number[] = [];
    const dones: boolean[] = [];
    const infos: StepInfo[] = [];
    const finished: FinishedEpisode[] = [];
    for (let i = 0; i < this.size; i++) {
      const { observation, reward, done, info } = this.envs[i].step(actions[i]);
      this.decisions[i]++;
      this.lengths[i] += info.macroSteps;
      rewards.push(reward);
      dones.push(done);
      infos.push(info);
      if (done) {
        finished.push({
          env: i,
          return: info.return,
          length: this.lengths[i],
          decisions: this.decisions[i],
          ...(info.success !== undefined ? { success: info.success } : {}),
          finalObservation: observation,
        });
        this.observations[i] = this.startEpisode(i);
      } else {
        this.observations[i] = observation;
      }
    }
    return { observations: [...this.observations], rewards, dones, infos, finished };
  }

  save(): VectorEnvState {
    return {
      ids: this.envs.map((e) => e.id),
      envs: this.envs.map((e) => e.save()),
      observations: structuredClone(this.observations),
      episodes: [...this.episodes],
      decisions: [...this.decisions],
      lengths: [...this.lengths],
    };
  }

  load(state: VectorEnvState): void {
    const ids = this.envs.map((e) => e.id);
    if (!state || JSON.stringify(state.ids) !== JSON.stringify(ids)) {
      throw new EnvError('BAD_STATE', `vector state is for [${state?.ids?.join(', ')}], not [${ids.join(', ')}]`);
    }
    this.envs.forEach((e, i) => e.load(state.envs[i]));
    this.observations = structuredClone(state.observations);
    this.episodes = [...state.episodes];
    this.decisions = [...state.decisions];
    this.lengths = [...state.lengths];
  }

  private startEpisode(i: number): Observation {
    const options = this.options.resetOptions?.(i, this.episodes[i]);
    this.episodes[i]++;
    this.decisions[i] = 0;
    this.lengths[i] = 0;
    return this.envs[i].reset(options);
  }
}

/** N fresh environments of one registered id, as a vector. */
export function makeVectorEnv(id: string, n: number, options?: VectorEnvOptions & { env?: Record<string, unknown> }): VectorEnv {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('BAD_COUNT', `environment count must be a positive integer, got ${n}`);
  return new VectorEnv(
    Array.from({ length: n }, () => makeEnv(id, options?.env)),
    options,
  );
}
