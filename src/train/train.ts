/**
 * The training loop: N environments stepped in lockstep, `rolloutSteps` decisions each per update, GAE with the
 * macro-action discount, one agent update, a metrics line per update, and checkpoints that make `resume` continue
 * exactly as an uninterrupted run would (environments, random generator and agent are all restored).
 */
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Observation } from '../../envs/core/types.js';
import { makeVectorEnv, type FinishedEpisode, type VectorEnv, type VectorEnvState } from '../../envs/core/vector.js';
import { InvalidArgumentError } from '../errors.js';
import type { Agent, Rollout, UpdateStats } from './agent.js';
import { readConfigFile, resolveConfig, updateCount, type TrainConfig } from './config.js';
import { gae } from './gae.js';
import type { Device } from '../devices.js';
import { makeAgent } from './make-agent.js';
import { modelFingerprint, resolveModel, type UriResolver } from './model-source.js';
import { mean } from './math.js';
import { Rng, type RngState } from './rng.js';
import { RUN_FORMAT, RunFolder, type RunMeta } from './run-folder.js';
import type { PolicyFactory } from './twosome.js';

export interface TrainOptions {
  /** Hyperparameters by schema key (env, algo, seed, totalDecisions, ...): they override the config file's. */
  config?: Record<string, unknown>;
  /** A JSON file of schema keys. */
  configFile?: string;
  /** The run folder (default runs/<task>-<algo>-s<seed>). */
  out?: string;
  /** Continue the run in `out` from its latest checkpoint. */
  resume?: boolean;
  /** Model cache folder (default: see cacheDir()). */
  cache?: string;
  /** Compute device of the model (default: RL_GGML_DEVICE, else "auto"); see LoadModelOptions. */
  device?: Device;
}

export interface TrainHooks {
  /** Aborting writes a checkpoint and returns with `stopped: true`. */
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  /** Human-readable notices (the random-weights model, resuming, checkpoints). */
  onNotice?: (message: string) => void;
  /** The trainable LLM policy for `twosome` (default: the native one). */
  policyFactory?: PolicyFactory;
  /** Resolves hf: model URIs (default: node-llama-cpp's downloader). */
  resolver?: UriResolver;
}

/** One line of metrics.jsonl. */
export interface UpdateMetrics {
  update: number;
  /** Decisions taken so far, over all environments. */
  decisions: number;
  /** Episodes that finished during this update's rollout. */
  episodes: number;
  /** Their logged returns (every finished episode, not only the first of a vector step). */
  returns: number[];
  meanReturn: number | null;
  successRate: number | null;
  /** Mean primitive steps of those episodes. */
  meanLength: number | null;
  policyLoss: number | null;
  valueLoss: number | null;
  entropy: number | null;
  approxKl: number | null;
  clipFraction: number | null;
  earlyStop: boolean;
  lrs: Record<string, number>;
  decisionsPerSecond: number;
  tokensPerSecond: number;
  /** Wall time of this update by phase: stepping environments, scoring/acting, learning. */
  seconds: { env: number; scoring: number; update: number; total: number };
}

export interface TrainProgress {
  update: number;
  updates: number;
  decisions: number;
  totalDecisions: number;
  /** Mean logged return of the last 100 finished episodes. */
  recentReturn: number | null;
  decisionsPerSecond: number;
  etaSeconds: number;
  metrics: UpdateMetrics;
}

export interface TrainResult {
  runDir: string;
  config: TrainConfig;
  /** Updates completed (of `updates`). */
  update: number;
  updates: number;
  decisions: number;
  /** True when the signal stopped the run before its end. */
  stopped: boolean;
  /** The last checkpoint written. */
  checkpoint: string | null;
}

/** The loop's own state in a checkpoint (the agent saves its files beside it). */
interface LoopState {
  update: number;
  decisions: number;
  rng: RngState;
  vector: VectorEnvState;
  recent: number[];
  elapsed: number;
}

const RECENT = 100;

/** A distinct reset seed per run seed, environment and episode (for environments with randomness). */
export function resetSeed(seed: number, env: number, episode: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(env + 1, 0x85ebca6b) ^ Math.imul(episode + 1, 0xc2b2ae35)) >>> 0;
}

export function defaultRunDir(config: TrainConfig): string {
  return `runs/${basename(config.env)}-${config.algo}-s${config.seed}`;
}

/** Trains (or, for `saycan`, just rolls out) as configured, writing the run folder. */
export async function train(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const overrides = options.config ?? {};
  const fileLayer = options.configFile ? readConfigFile(options.configFile) : {};
  let config: TrainConfig;
  let folder: RunFolder;
  if (options.resume) {
    if (!options.out) throw new InvalidArgumentError('BAD_OPTIONS', '--resume needs the run folder (--out)');
    folder = new RunFolder(resolve(options.out));
    if (!folder.exists()) throw new InvalidArgumentError('NOTHING_TO_RESUME', `nothing to resume: ${folder.dir} holds no run`);
    const saved = folder.readConfig();
    config = resolveConfig(overrides, { ...saved, ...fileLayer }, options.configFile ?? folder.configPath);
    const changed = Object.keys(config).filter((k) => JSON.stringify((config as never)[k]) !== JSON.stringify((saved as never)[k]));
    if (changed.length > 0) {
      const what = changed.map((k) => `${k} was ${JSON.stringify((saved as never)[k])}, now ${JSON.stringify((config as never)[k])}`).join('; ');
      throw new InvalidArgumentError('RESUME_MISMATCH', `cannot resume ${folder.dir} with a different configuration: ${what}`);
    }
  } else {
    config = resolveConfig(overrides, fileLayer, options.configFile);
    folder = new RunFolder(resolve(options.out ?? defaultRunDir(config)));
    if (existsSync(folder.dir) && readdirSync(folder.dir).length > 0) {
      throw new InvalidArgumentError('RUN_EXISTS', `${folder.dir} already holds files: pass --resume to continue that run, or choose another --out`);
    }
  }

  // Everything that can reject the input happens before the run folder is created.
  let meta: RunMeta = { format: RUN_FORMAT };
  if (config.algo !== 'ppo') {
    const resolved = await resolveModel(config.model, { cache: options.cache, resolver: hooks.resolver, signal: hooks.signal });
    if (resolved.notice) hooks.onNotice?.(resolved.notice);
    meta = { format: RUN_FORMAT, model: { path: resolve(resolved.path), fingerprint: await modelFingerprint(resolved.path), generated: resolved.generated } };
    if (options.resume) {
      const before = folder.readMeta().model;
      if (before && before.fingerprint !== meta.model!.fingerprint) {
        throw new InvalidArgumentError('RESUME_MISMATCH', `cannot resume ${folder.dir}: it was trained with the model ${before.path}, not ${meta.model!.path} (the files differ)`);
      }
    }
  }
  const made = await makeAgent(config, config.env, meta.model?.path, { factory: hooks.policyFactory, device: options.device });
  let created = false;
  let completed = false;
  try {
    if (!options.resume) {
      await folder.create(config, meta);
      created = true;
    }
    const result = await runLoop(config, folder, made.agent, options.resume === true, hooks);
    completed = true;
    return result;
  } finally {
    await made.agent.dispose();
    await made.model?.dispose();
    // A run that failed before its first checkpoint leaves no folder behind.
    if (created && !completed && folder.latestCheckpoint() === null) await rm(folder.dir, { recursive: true, force: true });
  }
}

async function runLoop(config: TrainConfig, folder: RunFolder, agent: Agent, resume: boolean, hooks: TrainHooks): Promise<TrainResult> {
  const N = config.envs;
  const T = config.rolloutSteps;
  const updates = updateCount(config);
  const rng = new Rng(config.seed);
  const vector = makeVectorEnv(config.env, N, { resetOptions: (i, ep) => ({ seed: resetSeed(config.seed, i, ep) }) });
  let state: Omit<LoopState, 'rng' | 'vector'> = { update: 0, decisions: 0, recent: [], elapsed: 0 };
  let checkpoint: string | null = null;

  const latest = resume ? folder.latestCheckpoint() : null;
  if (latest) {
    const saved = await folder.readState<LoopState>(latest);
    vector.load(saved.vector);
    rng.load(saved.rng);
    await agent.load(latest);
    state = { update: saved.update, decisions: saved.decisions, recent: saved.recent, elapsed: saved.elapsed };
    checkpoint = latest;
    hooks.onNotice?.(`resuming ${folder.dir} after update ${saved.update} (${saved.decisions} decisions)`);
  } else {
    vector.reset();
  }
  if (resume) await folder.truncateMetrics(state.update);

  const save = async (s: LoopState): Promise<void> => {
    checkpoint = await folder.writeCheckpoint(s.update, s, (dir) => agent.save(dir), config.keepCheckpoints);
    hooks.onNotice?.(`checkpoint ${checkpoint}`);
  };
  const result = (stopped: boolean): TrainResult => ({ runDir: folder.dir, config, update: state.update, updates, decisions: state.decisions, stopped, checkpoint });
  const sessionStart = performance.now();
  const sessionDecisions = state.decisions;

  if (hooks.signal?.aborted) return result(true);
  for (let u = state.update + 1; u <= updates; u++) {
    const boundary: LoopState = { ...state, recent: [...state.recent], rng: rng.save(), vector: vector.save() };
    const t0 = performance.now();
    const rollout = await collect(config, agent, vector, rng, hooks.signal);
    if (!rollout) {
      // Stopped mid-rollout: the agent has not changed since the boundary, so the boundary is the checkpoint.
      await save(boundary);
      return result(true);
    }
    const t1 = performance.now();
    let stats: UpdateStats | undefined;
    if (agent.update) {
      const frac = 'annealLr' in config && config.annealLr ? 1 - (u - 1) / updates : 1;
      stats = await agent.update(rollout.data, frac, rng);
    }
    const t2 = performance.now();

    state.update = u;
    state.decisions += N * T;
    state.elapsed += (t2 - t0) / 1000;
    for (const e of rollout.finished) state.recent.push(e.return);
    state.recent.splice(0, Math.max(0, state.recent.length - RECENT));
    const total = (t2 - t0) / 1000;
    const metrics = updateMetrics(u, state.decisions, N * T, rollout.finished, stats, {
      env: rollout.envSeconds,
      scoring: (t1 - t0) / 1000 - rollout.envSeconds,
      update: (t2 - t1) / 1000,
      total,
    }, rollout.tokens);
    await folder.appendMetrics(metrics);

    const rate = (state.decisions - sessionDecisions) / ((performance.now() - sessionStart) / 1000);
    hooks.onProgress?.({
      update: u,
      updates,
      decisions: state.decisions,
      totalDecisions: updates * N * T,
      recentReturn: state.recent.length ? mean(state.recent) : null,
      decisionsPerSecond: rate,
      etaSeconds: ((updates - u) * N * T) / rate,
      metrics,
    });

    const stop = hooks.signal?.aborted === true;
    if (u % config.checkpointEvery === 0 || u === updates || stop) await save({ ...state, recent: [...state.recent], rng: rng.save(), vector: vector.save() });
    if (stop) return result(u < updates);
  }
  return result(false);
}

interface Collected {
  data: Rollout;
  finished: FinishedEpisode[];
  envSeconds: number;
  tokens: number;
}

/**
 * T vector steps with the agent, then (for learning agents) the bootstrap values and GAE; null when the signal fired
 * (the rollout is then discarded).
 */
async function collect(config: TrainConfig, agent: Agent, vector: VectorEnv, rng: Rng, signal?: AbortSignal): Promise<Collected | null> {
  const N = vector.size;
  const T = config.rolloutSteps;
  const observations: Observation[] = [];
  const choices: number[] = [];
  const logprobs: number[] = [];
  const values: number[] = [];
  const rewards = new Float64Array(T * N);
  const dones = new Uint8Array(T * N);
  const macroSteps = new Float64Array(T * N);
  const finished: FinishedEpisode[] = [];
  let envSeconds = 0;
  let tokens = 0;
  for (let t = 0; t < T; t++) {
    // A copy: the vector replaces its current observations in place when it steps.
    const current = [...vector.current];
    const act = await agent.act(current, rng, config.algo === 'saycan' && config.greedy);
    const s = performance.now();
    const step = vector.step(act.actions);
    envSeconds += (performance.now() - s) / 1000;
    observations.push(...current);
    choices.push(...act.choices);
    logprobs.push(...act.logprobs);
    values.push(...act.values);
    tokens += act.tokens;
    for (let i = 0; i < N; i++) {
      rewards[t * N + i] = step.rewards[i];
      dones[t * N + i] = step.dones[i] ? 1 : 0;
      macroSteps[t * N + i] = config.algo !== 'saycan' && config.macroDiscount ? step.infos[i].macroSteps : 1;
    }
    finished.push(...step.finished);
    if (signal?.aborted) return null;
  }
  const data: Rollout = { steps: T, envs: N, observations, choices, logprobs, values, advantages: new Float64Array(T * N), returns: new Float64Array(T * N) };
  if (config.algo !== 'saycan') {
    const lastValues = await agent.values(vector.current);
    Object.assign(data, gae({ steps: T, envs: N, rewards, values, dones, macroSteps, lastValues, gamma: config.gamma, lambda: config.gaeLambda }));
  }
  return { data, finished, envSeconds, tokens };
}


function updateMetrics(
  update: number,
  decisions: number,
  decisionsThisUpdate: number,
  finished: readonly FinishedEpisode[],
  stats: UpdateStats | undefined,
  seconds: UpdateMetrics['seconds'],
  tokens: number,
): UpdateMetrics {
  const withSuccess = finished.filter((e) => e.success !== undefined);
  return {
    update,
    decisions,
    episodes: finished.length,
    returns: finished.map((e) => e.return),
    meanReturn: finished.length ? mean(finished.map((e) => e.return)) : null,
    successRate: withSuccess.length ? withSuccess.filter((e) => e.success).length / withSuccess.length : null,
    meanLength: finished.length ? mean(finished.map((e) => e.length)) : null,
    policyLoss: stats?.policyLoss ?? null,
    valueLoss: stats?.valueLoss ?? null,
    entropy: stats?.entropy ?? null,
    approxKl: stats?.approxKl ?? null,
    clipFraction: stats?.clipFraction ?? null,
    earlyStop: stats?.earlyStop ?? false,
    lrs: stats?.lrs ?? {},
    decisionsPerSecond: seconds.total > 0 ? decisionsThisUpdate / seconds.total : 0,
    tokensPerSecond: seconds.total > 0 ? tokens / seconds.total : 0,
    seconds,
  };
}
