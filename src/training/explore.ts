/**
 * ETO's exploration: the agent plays each task as a conversation (once, or `samples` times for Best-of-N and
 * rejection sampling), from its start or, step-wise, from a point of the expert's trajectory (the expert's first
 * replies replayed). Every round, the replies of all unfinished episodes are generated in one batched call (the
 * model's KV-cache decoder), each from its whole conversation in the chat layout that SFT and DPO train on, so the
 * agent acts on exactly the tokens it is trained with.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { ChatTask } from '../../envs/chat-tasks.js';
import type { ChatEnv } from '../../envs/core/chat.js';
import { checkTrainedChatTemplate } from '../chat-template.js';
import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import type { Generation, Prompt, GenerateOptions } from '../generate.js';
import type { Model } from '../model.js';
import { readJsonLines } from '../train/files.js';
import { Rng } from '../train/rng.js';
import { agentReplies, conversationTokens, type Trajectory, type Turn } from './conversation.js';

/** What plays: a model (the base, or one with an adapter applied) or a policy being trained. */
export interface Agent {
  generate(prompts: readonly Prompt[], options?: GenerateOptions): Promise<Generation[]>;
  /** Frees the K,V that `generate` kept in its cache slots. */
  releaseGenerationCache?(): Promise<void>;
  /** The chat template the agent was trained in, where known: exploring with a model that lays out conversations
   *  otherwise is an error. */
  readonly trainedChatTemplate?: string;
}

export interface ExploreOptions {
  /** New tokens per reply at most (default 128; a reply is cut there). */
  maxTokens?: number;
  /** 0 (default, as ETO's released script): greedy replies; above 0: sampled at this temperature. */
  temperature?: number;
  /** Seed of sampled replies: each episode has its own stream, so they do not depend on `parallel`. */
  seed?: number;
  /**
   * Conversations played at once (default 8), each in a cache slot of the agent's generator. Where their K,V outgrow
   * the device's memory, play goes on with half as many at once (the others wait, then resume where they were).
   */
  parallel?: number;
  /** Episodes per task (default 1); more than one needs sampled replies (`temperature` above 0). */
  samples?: number;
}

/** A task explored from a point of its expert trajectory: these replies of the expert are replayed, then the agent plays on. */
export interface ForcedTask {
  task: ChatTask;
  forced: readonly string[];
}

export interface ExploredTrajectory extends Trajectory {
  reward: number;
  /** Which of the task's episodes (0 to samples - 1). */
  sample: number;
  /** The expert's replies replayed before the agent took over (0: the agent played from the start). */
  forced: number;
  /** Agent replies made (after the replayed ones). */
  steps: number;
  /** 'done': the environment ended the episode (success or its step limit); 'context': the next reply would not fit the model's context. */
  end: 'done' | 'context';
}

interface Episode {
  task: ChatTask;
  /** Index of the play (task and sample) in the call's order. */
  play: number;
  sample: number;
  forced: number;
  /** Draws the seed of each of the episode's replies. */
  rng: Rng;
  /** null for an episode recorded by an earlier call (it does not play). */
  env: ChatEnv | null;
  turns: Turn[];
  reward: number;
  steps: number;
  end?: ExploredTrajectory['end'];
  /** The seed of the episode's next reply, drawn once (a round retried with fewer conversations reuses it). */
  replySeed?: number;
}

export interface ExploreControl {
  signal?: AbortSignal;
  /** Each finished episode; `play` numbers the episode in task order (a task's samples together), from 0. */
  onEpisode?: (t: ExploredTrajectory, done: number, total: number, play: number) => void;
  /**
   * Episodes an interrupted call with the same tasks and options finished, by `play`: they are taken as they are, and
   * the other episodes play as they would have (each episode's seeds are its own).
   */
  finished?: ReadonlyMap<number, ExploredTrajectory>;
}

/**
 * Plays every task `samples` times with `agent`; trajectories come back in task order (a task's samples together).
 * `parallel` conversations are played at once, each keeping its slot of the generator's K,V cache from round to round
 * (a round then computes only the new observation and reply), and a finished conversation's slot goes to the next.
 */
export async function explore(
  model: Model,
  agent: Agent,
  tasks: readonly (ChatTask | ForcedTask)[],
  options: ExploreOptions = {},
  control: ExploreControl = {},
): Promise<ExploredTrajectory[]> {
  checkTrainedChatTemplate(model, 'the agent', agent.trainedChatTemplate);
  const maxTokens = options.maxTokens ?? 128;
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `explore: maxTokens must be a positive integer, got ${maxTokens}`);
  const requested = options.parallel ?? 8;
  if (!Number.isInteger(requested) || requested <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `explore: parallel must be a positive integer, got ${requested}`);
  const samples = options.samples ?? 1;
  if (!Number.isInteger(samples) || samples <= 0) throw new InvalidArgumentError('INVALID_ARGUMENT', `explore: samples must be a positive integer, got ${samples}`);
  const temperature = options.temperature ?? 0;
  if (samples > 1 && !(temperature > 0)) {
    throw new InvalidArgumentError('INVALID_ARGUMENT', `explore: ${samples} samples per task need sampled replies (a temperature above 0; greedy replies repeat the same episode)`);
  }
  const plays = tasks.flatMap((t) => {
    const { task, forced } = 'task' in t ? t : { task: t, forced: [] };
    return Array.from({ length: samples }, (_, sample) => ({ task, forced, sample }));
  });
  let parallel = Math.min(requested, Math.max(1, plays.length)); // no cache slot for an episode that is not there
  // episodes start in task order whatever `parallel` is, so each draws the same stream of reply seeds
  const seeds = new Rng(options.seed ?? 1);
  const draw = (rng: Rng) => Math.floor(rng.next() * 2 ** 53);
  const episodes: Episode[] = [];
  let finished = control.finished?.size ?? 0;
  const finish = (e: Episode, end: Episode['end']) => {
    e.end = end;
    control.onEpisode?.(trajectory(e), ++finished, plays.length, e.play);
  };
  // one round: the reply, and the observation it gets unless the episode ends
  const playRound = (e: Episode, reply: string) => {
    e.replySeed = undefined;
    e.turns.push({ from: 'gpt', value: reply });
    const r = e.env!.step(reply); // only episodes that play get replies
    e.reward = r.reward;
    if (r.done) finish(e, 'done');
    else e.turns.push({ from: 'human', value: r.observation });
  };
  const start = (index: number): Episode => {
    const play = plays[index];
    const rng = new Rng(draw(seeds));
    const done = control.finished?.get(index);
    if (done && done.id !== play.task.id) {
      throw new InvalidArgumentError('RESUME_MISMATCH', `explore: the recorded episode ${index} is of task "${done.id}", not "${play.task.id}": resume with the tasks and options the exploration was started with`);
    }
    if (done) {
      // played before: its recorded trajectory, its seed drawn all the same so that later episodes draw theirs
      return { task: play.task, play: index, sample: done.sample, forced: done.forced, rng, env: null, turns: done.conversations, reward: done.reward, steps: done.steps, end: done.end };
    }
    const env = play.task.open();
    const e: Episode = { task: play.task, play: index, sample: play.sample, forced: 0, rng, env, turns: env.reset(), reward: 0, steps: 0 };
    for (const reply of play.forced) {
      if (e.end) break;
      playRound(e, reply);
      e.forced++;
    }
    return e;
  };
  const inSlot: (Episode | undefined)[] = new Array(parallel);
  const waiting: Episode[] = []; // taken out of their slots when the device ran out of memory; they go on first
  try {
    while (!control.signal?.aborted) {
      const prompts: number[][] = [];
      const slots: number[] = [];
      const live: Episode[] = [];
      for (let s = 0; s < parallel; s++) {
        for (;;) {
          let e = inSlot[s];
          if (!e || e.end) {
            e = waiting.shift();
            if (!e) {
              if (episodes.length === plays.length) break;
              e = start(episodes.length);
              episodes.push(e);
            }
            inSlot[s] = e;
            if (e.end) continue;
          }
          const { tokens } = conversationTokens(model, e.turns, e.turns.length); // a prompt: nothing to mark
          if (tokens.length + maxTokens > model.hparams.nCtxTrain) {
            finish(e, 'context');
            continue;
          }
          prompts.push(tokens);
          slots.push(s);
          live.push(e);
          break;
        }
      }
      if (live.length === 0) break;
      const seedsOfReplies = live.map((e) => (e.replySeed ??= draw(e.rng)));
      let replies: Generation[];
      try {
        replies = await agent.generate(prompts, { maxTokens, temperature, seeds: seedsOfReplies, parallel, slots });
      } catch (err) {
        if (!(err instanceof OutOfMemoryError) || parallel === 1) throw err;
        await agent.releaseGenerationCache?.();
        parallel = Math.ceil(parallel / 2);
        waiting.unshift(...inSlot.splice(parallel).filter((e): e is Episode => e !== undefined && !e.end));
        continue;
      }
      live.forEach((e, i) => {
        e.steps++; // before the round: an episode it ends is reported with this reply counted
        playRound(e, replies[i].text.trim());
      });
    }
  } finally {
    await agent.releaseGenerationCache?.();
  }
  return episodes.filter((e) => e.end).map(trajectory);
}

function trajectory(e: Episode): ExploredTrajectory {
  return { id: e.task.id, conversations: e.turns, reward: e.reward, sample: e.sample, forced: e.forced, steps: e.steps, end: e.end ?? 'done' };
}

/**
 * ETO's step-wise exploration tasks: each expert trajectory's task, to be taken over by the agent after the expert's
 * first t replies, t drawn uniformly from 1 to n − 1 for n replies (`seed` makes the draw repeatable). Trajectories
 * of fewer than two replies leave no such point and are skipped. `taskOf` gives the task an id names.
 */
export function stepwiseTasks(experts: readonly Trajectory[], taskOf: (id: string) => ChatTask, seed: number): ForcedTask[] {
  const rng = new Rng(seed);
  const out: ForcedTask[] = [];
  for (const expert of experts) {
    const replies = agentReplies(expert);
    if (replies.length < 2) continue;
    const t = 1 + Math.floor(rng.next() * (replies.length - 1));
    out.push({ task: taskOf(expert.id), forced: replies.slice(0, t) });
  }
  return out;
}

/**
 * A stopped exploration's record: an optional first line `{run}` saying what was played (checked on resuming), then
 * one `{play, trajectory}` JSON line per finished episode, appended as it finishes (what `ExploreControl.finished`
 * takes); a line cut short by a crash is skipped.
 */
export function readEpisodeRecord(path: string): { run: unknown; episodes: Map<number, ExploredTrajectory> } {
  let run: unknown;
  const episodes = new Map<number, ExploredTrajectory>();
  for (const entry of readJsonLines<{ run?: unknown; play?: number; trajectory?: ExploredTrajectory }>(path)) {
    if (entry.run !== undefined) run = entry.run;
    else if (typeof entry.play === 'number' && entry.trajectory) episodes.set(entry.play, entry.trajectory);
  }
  return { run, episodes };
}

/** Starts a record with what is played (`run`: any JSON). */
export function startEpisodeRecord(path: string, run: unknown): void {
  writeFileSync(path, `${JSON.stringify({ run })}\n`);
}

export function appendEpisodeRecord(path: string, play: number, t: ExploredTrajectory): void {
  appendFileSync(path, `${JSON.stringify({ play, trajectory: t })}\n`);
}

/** Each task's best trajectory (the first with the highest reward), in task order: Best-of-N's pick of its samples. */
export function bestOf(ts: readonly ExploredTrajectory[]): ExploredTrajectory[] {
  const best = new Map<string, ExploredTrajectory>();
  for (const t of ts) {
    const b = best.get(t.id);
    if (!b || t.reward > b.reward) best.set(t.id, t);
  }
  return [...best.values()];
}

/** Mean reward and success rate (reward 1) of explored trajectories. */
export function exploreSummary(ts: readonly ExploredTrajectory[]): { episodes: number; meanReward: number; successRate: number } {
  const n = ts.length;
  return {
    episodes: n,
    meanReward: n ? ts.reduce((s, t) => s + t.reward, 0) / n : 0,
    successRate: n ? ts.filter((t) => t.reward >= 1).length / n : 0,
  };
}
