/**
 * Evaluation of a run's latest checkpoint (or, for `saycan`, of the frozen model): a fixed number of episodes, spread
 * evenly over parallel environments so short episodes are not over-counted, reporting the logged return, success
 * rate and episode length. A run trained on a VirtualHome task can be evaluated on its unseen variants.
 */
import { resolve } from 'node:path';
import { makeVectorEnv, type FinishedEpisode } from '../../envs/core/vector.js';
import { InvalidArgumentError } from '../errors.js';
import type { Device } from '../devices.js';
import { makeAgent } from './make-agent.js';
import { modelFingerprint, resolveModel } from './model-source.js';
import { mean, std } from './math.js';
import { Rng } from './rng.js';
import { RunFolder } from './run-folder.js';
import type { PolicyFactory } from './twosome.js';
import { resetSeed } from './train.js';

export interface EvaluateOptions {
  /** The run folder. */
  run: string;
  /** Environment to evaluate on (default: the one trained on). */
  env?: string;
  /** Episodes (default 20). */
  episodes?: number;
  /** Take the most probable action instead of sampling. */
  greedy?: boolean;
  /** Seed of the action sampling and the episode resets (default: the run's seed + 1000, unseen in training). */
  seed?: number;
  /** Parallel environments (default: the run's). */
  envs?: number;
  /** Model cache folder (for a run whose model was the generated one). */
  cache?: string;
  /** Compute device of the model (default: RL_GGML_DEVICE, else "auto"); see LoadModelOptions. */
  device?: Device;
}

export interface EvaluateHooks {
  signal?: AbortSignal;
  policyFactory?: PolicyFactory;
  /** Called after each finished episode that counts. */
  onEpisode?: (done: number, total: number) => void;
}

export interface EvaluationResult {
  run: string;
  env: string;
  algo: string;
  /** The checkpoint evaluated (null for saycan runs without one). */
  checkpoint: string | null;
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  /** Share of episodes that succeeded (null when the environment does not report success). */
  successRate: number | null;
  /** Mean primitive steps per episode. */
  meanLength: number;
  returns: number[];
}

export async function evaluate(options: EvaluateOptions, hooks: EvaluateHooks = {}): Promise<EvaluationResult> {
  const folder = new RunFolder(resolve(options.run));
  const config = folder.readConfig();
  const meta = folder.readMeta();
  const env = options.env ?? config.env;
  const episodes = options.episodes ?? 20;
  if (!Number.isInteger(episodes) || episodes < 1) throw new InvalidArgumentError('BAD_OPTIONS', `episodes must be a positive integer, got ${episodes}`);
  const n = Math.min(options.envs ?? config.envs, episodes);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('BAD_OPTIONS', `envs must be a positive integer, got ${options.envs}`);
  const seed = options.seed ?? config.seed + 1000;
  const checkpoint = folder.latestCheckpoint();
  if (!checkpoint && config.algo !== 'saycan') throw new InvalidArgumentError('NO_CHECKPOINT', `${folder.dir} has no checkpoint to evaluate yet`);

  let modelPath: string | undefined;
  if (meta.model) {
    // The generated model is re-created in the cache when needed; a real one must still be where training found it.
    modelPath = meta.model.generated ? (await resolveModel(null, { cache: options.cache })).path : meta.model.path;
    const fingerprint = await modelFingerprint(modelPath).catch(() => null);
    if (fingerprint !== meta.model.fingerprint) throw new InvalidArgumentError('MODEL_MISMATCH', `the run was trained with ${meta.model.path}, which is missing or has changed`);
  }
  const { agent, model } = await makeAgent(config, env, modelPath, { factory: hooks.policyFactory, device: options.device });
  try {
    if (checkpoint) await agent.load(checkpoint);
    const rng = new Rng(seed);
    const vector = makeVectorEnv(env, n, { resetOptions: (i, ep) => ({ seed: resetSeed(seed, i, ep) }) });
    vector.reset();
    // Environment i contributes its first quota[i] episodes.
    const quota = Array.from({ length: n }, (_, i) => Math.floor(episodes / n) + (i < episodes % n ? 1 : 0));
    const counted: FinishedEpisode[][] = quota.map(() => []);
    let done = 0;
    const greedy = options.greedy ?? (config.algo === 'saycan' && config.greedy);
    while (done < episodes) {
      if (hooks.signal?.aborted) throw new InvalidArgumentError('ABORTED', 'evaluation stopped');
      const act = await agent.act([...vector.current], rng, greedy);
      for (const e of vector.step(act.actions).finished) {
        if (counted[e.env].length < quota[e.env]) {
          counted[e.env].push(e);
          done++;
          hooks.onEpisode?.(done, episodes);
        }
      }
    }
    const all = counted.flat();
    const returns = all.map((e) => e.return);
    const meanReturn = mean(returns);
    const withSuccess = all.filter((e) => e.success !== undefined);
    return {
      run: folder.dir,
      env,
      algo: config.algo,
      checkpoint,
      episodes,
      meanReturn,
      stdReturn: std(returns),
      successRate: withSuccess.length ? withSuccess.filter((e) => e.success).length / withSuccess.length : null,
      meanLength: mean(all.map((e) => e.length)),
      returns,
    };
  } finally {
    await agent.dispose();
    await model?.dispose();
  }
}
