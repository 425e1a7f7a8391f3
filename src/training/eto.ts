/**
 * ETO (Song et al., ACL 2024) after behaviour cloning: per iteration, the policy explores every expert task once,
 * each explored trajectory is paired with the expert's (higher reward chosen), and a DPO stage trains on the pairs
 * with the iteration's starting policy as reference. The paper's ablation is here too: step-wise pairs (the agent takes
 * over from a random point of the expert's trajectory) and a mixture of both kinds. Each iteration starts a fresh optimizer from the previous
 * iteration's adapter, as the reference code launches a new training run per iteration.
 *
 * Run folder: `config.json`; `metrics.jsonl` (one `explore` line per iteration, one `dpo` line per step);
 * `iter-K.explored.json` (ETO-format trajectories with rewards); `iter-K/` (the policy after iteration K: adapter.gguf
 * in llama.cpp's format, state.gguf, policy.json). An iteration counts once its folder exists. Until then its
 * exploration records each finished episode in `iter-K.partial.jsonl` and its DPO stage checkpoints into
 * `iter-K.dpo/`, so a stopped run resumes where it was and gives the same results as an uninterrupted one.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatTaskById, isWebshopTask, type ChatTask, type ChatTaskOptions } from '../../envs/chat-tasks.js';
import { checkTrainedChatTemplate } from '../chat-template.js';
import { InvalidArgumentError } from '../errors.js';
import type { Model } from '../model.js';
import { checkSameRun, keepJsonLines, writeJsonAtomic } from '../train/files.js';
import type { Trajectory } from './conversation.js';
import { dpo, makePairs, type DpoOptions, type DpoProgress } from './dpo.js';
import { appendEpisodeRecord, explore, exploreSummary, readEpisodeRecord, stepwiseTasks, type ExploredTrajectory, type ExploreOptions } from './explore.js';
import { loadAdapter, loadPolicy, type NativeLlmPolicy } from './llm-policy.js';

export type PairKind = 'trajectory' | 'step' | 'mixture';
const PAIR_KINDS: readonly PairKind[] = ['trajectory', 'step', 'mixture'];

export interface EtoOptions {
  model: Model;
  /** The behaviour-cloned start: an `rl-ggml sft` folder or a llama.cpp LoRA adapter file. */
  start: string;
  /** Expert trajectories; their ids name the tasks to explore (`household/<type>/<split>/<seed>`, a game path, `webshop_<n>`). */
  experts: Trajectory[];
  /** Run folder. */
  out: string;
  /** ETO iterations (default 2; the paper: 2 for WebShop, 1 for ALFWorld). */
  iterations?: number;
  dpo?: DpoOptions;
  /**
   * What changes in the DPO stages of iterations 2 onwards (default: nothing). ETO's released script raises β to 0.5
   * and halves the learning rate there: `{ beta: 0.5, lr: dpo.lr / 2 }`.
   */
  laterDpo?: Pick<DpoOptions, 'beta' | 'lr'>;
  explore?: ExploreOptions;
  /**
   * Which explorations make the pairs: 'trajectory' (default; ETO's method: the agent plays each task from its start),
   * 'step' (from a point of the expert's trajectory drawn per iteration, the expert's replies before it replayed) or
   * 'mixture' (both, two explorations per task).
   */
  pairs?: PairKind;
  /** Where the tasks come from (the shop of WebShop goals; a step limit other than ETO's). */
  tasks?: ChatTaskOptions;
  /**
   * Your own environment: the task an expert trajectory's id names (undefined: none, an UNKNOWN_TASK error). Default:
   * `chatTaskById(id, tasks)` (household games and WebShop goals).
   */
  taskOf?: (id: string) => ChatTask | undefined;
  /** Continue the run in `out` where it stopped: finished iterations are kept, as are the episodes and the DPO checkpoint of the next. */
  resume?: boolean;
  /** DPO steps between checkpoints of a stage (default 50); one is also written when the run is stopped. */
  checkpointEvery?: number;
}

export interface EtoIteration {
  iteration: number;
  /**
   * Mean reward and success rate of the exploration (the policy before this iteration's DPO); step-wise episodes
   * count too, and the expert's replayed replies help them.
   */
  explored: { episodes: number; meanReward: number; successRate: number };
  pairs: number;
  /** Pairs left out because they do not fit the model's context. */
  dropped: number;
  steps: number;
  firstLoss: number | null;
  finalLoss: number | null;
  /** The policy folder written at the end of the iteration. */
  dir: string;
}

export type EtoEvent =
  | { type: 'episode'; iteration: number; done: number; total: number; id: string; reward: number }
  | ({ type: 'explore'; iteration: number } & EtoIteration['explored'])
  | ({ type: 'dpo'; iteration: number } & DpoProgress)
  | ({ type: 'iteration' } & EtoIteration);

export interface EtoResult {
  iterations: EtoIteration[];
  /** True when stopped by the signal before the last iteration finished. */
  stopped: boolean;
  /** The adapter of the last finished iteration (the start's when none finished). */
  adapter: string;
}

/** ETO's partial-reward environments, whose rejected trajectories are cut 5 rounds past the expert's length. */
function cutRounds(id: string): number | null {
  return isWebshopTask(id) ? 5 : null;
}

function adapterOf(start: string): string {
  return existsSync(start) && statSync(start).isDirectory() ? join(start, 'adapter.gguf') : start;
}

/**
 * The start loads on `model` and was trained in its chat template. A policy folder holding a stopped `sft` run is
 * refused: its agent is cloned only partly (its adapter file, given as the start, is taken as it is).
 */
async function checkStart(model: Model, start: string): Promise<void> {
  if (!existsSync(join(start, 'policy.json'))) {
    const agent = await loadAdapter(model, adapterOf(start));
    await agent.dispose();
    checkTrainedChatTemplate(model, start, agent.trainedChatTemplate);
    return;
  }
  const { policy, meta } = await loadPolicy(model, start); // checks the chat template too
  await policy.dispose();
  const run = meta.run as { steps?: unknown } | undefined;
  if (meta.kind === 'sft' && typeof meta.step === 'number' && typeof run?.steps === 'number' && meta.step < run.steps) {
    throw new InvalidArgumentError(
      'SFT_UNFINISHED',
      `eto: ${start} holds an sft run stopped after step ${meta.step} of ${run.steps}: finish it (rl-ggml sft ... --resume), or start from ${join(start, 'adapter.gguf')} to take it as it is`,
    );
  }
}

export async function eto(options: EtoOptions, control: { signal?: AbortSignal; onEvent?: (e: EtoEvent) => void } = {}): Promise<EtoResult> {
  const { model, experts, out } = options;
  const iterations = options.iterations ?? 2;
  if (!Number.isInteger(iterations) || iterations <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `eto: iterations must be a positive integer, got ${iterations}`);
  const ids = [...new Set(experts.map((t) => t.id))];
  if (ids.length !== experts.length) throw new InvalidArgumentError('BAD_DATA', 'eto: expert trajectories must have distinct ids (one per task)');
  const pairKind = options.pairs ?? 'trajectory';
  if (!PAIR_KINDS.includes(pairKind)) throw new InvalidArgumentError('INVALID_ARGUMENT', `eto: pairs must be one of ${PAIR_KINDS.join(', ')}, got ${JSON.stringify(pairKind)}`);
  const taskOf = options.taskOf ?? ((id: string) => chatTaskById(id, options.tasks));
  const tasks = new Map(
    ids.map((id) => {
      const task = taskOf(id);
      if (typeof task?.open !== 'function') throw new InvalidArgumentError('UNKNOWN_TASK', `eto: taskOf gave no task for the expert trajectory "${id}"`);
      return [id, task];
    }),
  );
  // the keys given (an undefined one keeps the first iteration's value)
  const laterDpo = Object.fromEntries(Object.entries(options.laterDpo ?? {}).filter(([, v]) => v !== undefined)) as EtoOptions['laterDpo'];
  const config = {
    start: options.start,
    iterations,
    tasks: ids,
    pairs: pairKind,
    // the memory budget changes how a step is split, not what it computes: a run may resume under another
    dpo: { ...options.dpo, memoryBudget: undefined },
    laterDpo,
    explore: options.explore ?? {},
    maxSteps: options.tasks?.maxSteps ?? null,
    chatTemplate: model.chatTemplate.id,
  };
  // a start that does not load fails here, before a run folder exists
  await checkStart(model, options.start);
  const metricsPath = join(out, 'metrics.jsonl');
  const iterDir = (k: number) => join(out, `iter-${k}`);
  const exploredPath = (k: number) => join(out, `iter-${k}.explored.json`);

  let done = 0;
  const results: EtoIteration[] = [];
  if (options.resume) {
    if (!existsSync(join(out, 'config.json'))) throw new InvalidArgumentError('NO_RUN', `eto: nothing to resume in ${out}`);
    // the same run, possibly with more iterations
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    saved.laterDpo ??= {}; // runs started before the option existed
    const { iterations: _, ...same } = config;
    checkSameRun('eto', out, saved, same);
    await writeJsonAtomic(join(out, 'config.json'), config);
    while (existsSync(join(iterDir(done + 1), 'policy.json'))) done++;
    // keep what finished iterations logged, and the exploration of the next one if it finished (its DPO steps are
    // sorted out when its stage resumes)
    const explored = existsSync(exploredPath(done + 1));
    for (const e of keepJsonLines<EtoEvent>(metricsPath, (e) => e.iteration <= done || (e.iteration === done + 1 && (e.type === 'dpo' || (e.type === 'explore' && explored))))) {
      if (e.type !== 'iteration') continue;
      const { type: _, ...finished } = e;
      results.push(finished);
    }
  } else {
    if (existsSync(join(out, 'config.json'))) throw new InvalidArgumentError('RUN_EXISTS', `eto: ${out} already holds a run (resume it, or choose another --out)`);
    mkdirSync(out, { recursive: true });
    await writeJsonAtomic(join(out, 'config.json'), config);
    writeFileSync(metricsPath, '');
  }
  const log = (e: EtoEvent) => {
    control.onEvent?.(e);
    if (e.type !== 'episode') appendFileSync(metricsPath, `${JSON.stringify(e)}\n`);
  };

  let adapter = done > 0 ? join(iterDir(done), 'adapter.gguf') : adapterOf(options.start);
  for (let k = done + 1; k <= iterations && !control.signal?.aborted; k++) {
    const policy: NativeLlmPolicy = await loadAdapter(model, adapter);
    try {
      let explored: ExploredTrajectory[];
      if (existsSync(exploredPath(k))) {
        explored = JSON.parse(readFileSync(exploredPath(k), 'utf8')) as ExploredTrajectory[];
      } else {
        // step-wise take-over points are drawn anew each iteration
        const plays = [
          ...(pairKind === 'step' ? [] : tasks.values()),
          ...(pairKind === 'trajectory' ? [] : stepwiseTasks(experts, (id) => tasks.get(id)!, (options.explore?.seed ?? 1) + k)),
        ];
        // each finished episode is recorded at once: a stopped exploration goes on with the others
        const partial = join(out, `iter-${k}.partial.jsonl`);
        explored = await explore(model, policy, plays, options.explore, {
          signal: control.signal,
          finished: readEpisodeRecord(partial).episodes,
          onEpisode: (t, n, total, play) => {
            appendEpisodeRecord(partial, play, t);
            log({ type: 'episode', iteration: k, done: n, total, id: t.id, reward: t.reward });
          },
        });
        if (control.signal?.aborted) break;
        log({ type: 'explore', iteration: k, ...exploreSummary(explored) });
        await writeJsonAtomic(exploredPath(k), explored);
        rmSync(partial, { force: true });
      }
      const pairs = makePairs(experts, explored, { cutRounds });
      const stage = join(out, `iter-${k}.dpo`);
      const r = await dpo(policy, pairs, k === 1 ? options.dpo : { ...options.dpo, ...laterDpo }, {
        signal: control.signal,
        onProgress: (p) => log({ type: 'dpo', iteration: k, ...p }),
        checkpoint: { dir: stage, every: options.checkpointEvery },
        // the steps after the stage's checkpoint are done again: their lines go
        onStart: (step) => keepJsonLines<EtoEvent>(metricsPath, (e) => !(e.type === 'dpo' && e.iteration === k && e.step > step)),
      });
      if (r.stopped) break;
      const result: EtoIteration = {
        iteration: k,
        explored: exploreSummary(explored),
        pairs: pairs.length,
        dropped: r.dropped,
        steps: r.steps,
        firstLoss: r.losses[0] ?? null,
        finalLoss: r.losses.at(-1) ?? null,
        dir: iterDir(k),
      };
      await policy.save(iterDir(k), { kind: 'eto', iteration: k });
      rmSync(stage, { recursive: true, force: true });
      log({ type: 'iteration', ...result });
      results.push(result);
      adapter = join(iterDir(k), 'adapter.gguf');
    } finally {
      await policy.dispose();
    }
  }
  return { iterations: results, stopped: results.length < iterations, adapter };
}
