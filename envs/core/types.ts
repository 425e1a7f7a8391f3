/**
 * The one environment interface every rl-ggml environment implements (TWOSOME's Overcooked and VirtualHome,
 * the household/ALFWorld engine, WebShop). Agents pick actions by index into `actions`; `valid` says which
 * indices are offered in this state. Text environments (household, webshop) use their admissible commands as
 * `actions` and leave `vector` empty.
 */
export interface Observation {
  /** The observation prompt shown to a language-model policy. */
  prompt: string;
  /** Action phrases in index order, as offered in this state. */
  actions: string[];
  /** Indices into `actions` the agent may choose. */
  valid: number[];
  /** The raw observation vector (for non-LLM baselines); empty for pure text environments. */
  vector: number[];
}

export interface StepInfo {
  /** Primitive steps the chosen (macro-)action took; 1 where there are no macro-actions. */
  macroSteps: number;
  /** The running logged return of this episode, as the original logs it. */
  return: number;
  /** Whether the episode's task was accomplished (set when known). */
  success?: boolean;
  [key: string]: unknown;
}

export interface StepResult {
  observation: Observation;
  reward: number;
  done: boolean;
  info: StepInfo;
}

export interface ResetOptions {
  /** Seed for environments with randomness (ignored by deterministic ones). */
  seed?: number;
}

export interface Env {
  readonly id: string;
  reset(options?: ResetOptions): Observation;
  /** Takes the action at `index` of the current `actions`; an index outside that list throws EnvError. */
  step(index: number): StepResult;
  /** A JSON-serializable snapshot of the full environment state (for checkpoints). */
  save(): unknown;
  /** Restores a snapshot made by `save()` of an environment with the same id. */
  load(state: unknown): void;
}

export interface EnvSpec {
  id: string;
  /** One line for `rl-ggml env list`. */
  description: string;
  /** Size of the action list, when fixed; null when it varies by state (text environments). */
  actionCount: number | null;
  /** Step limit of an episode (in decisions). */
  horizon: number;
  /** Optimal logged return, where known. */
  optimalReturn: number | null;
  create(options?: Record<string, unknown>): Env;
}
