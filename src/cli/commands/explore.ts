import { existsSync, rmSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { chatTasks, isWebshopTask, type ChatTask } from '../../../envs/chat-tasks.js';
import { InvalidArgumentError } from '../../errors.js';
import { checkSameRun, writeJsonAtomic } from '../../train/files.js';
import { readTrajectories } from '../../training/conversation.js';
import { appendEpisodeRecord, bestOf, explore, exploreSummary, readEpisodeRecord, startEpisodeRecord, type ExploredTrajectory } from '../../training/explore.js';
import { taskOfImported } from '../import-envs.js';
import { withInterrupt } from '../interrupt.js';
import { agentOptions, episodePrinter, exploreOptionsOf, taskOptionsOf, type AgentArgs } from '../agent-options.js';
import { chatTemplateOptions, modelSessionOptions, withModel, type ModelSessionArgs } from '../model-session.js';

interface Args extends ModelSessionArgs, AgentArgs {
  env?: string;
  tasks?: string;
  split?: string;
  n: number;
  samples: number;
  out?: string;
  resume: boolean;
}

function splitOf(argv: Args): string {
  return argv.split ?? (argv.env === 'webshop' ? 'test' : 'unseen');
}

/** The tasks to play: N of an environment's split, or those a trajectory file names (one per distinct id). */
function tasksOf(argv: Args): ChatTask[] {
  if ((argv.env === undefined) === (argv.tasks === undefined)) throw new InvalidArgumentError('INVALID_ARGUMENT', 'explore: give either --env or --tasks');
  if (argv.tasks !== undefined) {
    const ids = [...new Set(readTrajectories(argv.tasks).map((t) => t.id))];
    const options = taskOptionsOf(argv, ids.some(isWebshopTask));
    return ids.map(taskOfImported(options));
  }
  const env = argv.env as string;
  return chatTasks(env, splitOf(argv), argv.n, { ...taskOptionsOf(argv, env === 'webshop'), seed: argv.seed, dataDir: argv.dataDir });
}

/**
 * `rl-ggml explore`: a language-model agent (the model, or a LoRA adapter on it) plays tasks as ETO's conversations;
 * prints the mean reward and success rate (ETO's evaluation), with several samples per task also Best-of-N's, and
 * can write the trajectories (the input of rejection-sampling fine-tuning: `rl-ggml sft --min-reward`).
 */
export const exploreCommand: CommandModule<object, Args> = {
  command: 'explore',
  describe: "Let the model (or an adapter) play ETO's household or WebShop tasks; mean reward, success rate (and Best-of-N), trajectories",
  builder: (y: Argv) =>
    agentOptions(modelSessionOptions(y))
      .option('env', { type: 'string', describe: 'household/<task-type>, household/mixed or webshop' })
      .option('tasks', { type: 'string', describe: 'instead of --env: play the tasks of this trajectory file (e.g. the experts\', for rejection sampling; ids of your own tasks need --import)' })
      .option('split', { type: 'string', describe: 'household: train|seen|unseen (default unseen); webshop: a goal split (default test; eto-test, ...)' })
      .option('n', { type: 'number', default: 50, describe: 'number of tasks (with --env)' })
      .option('samples', { type: 'number', default: 1, describe: 'episodes per task (more than 1 needs --temperature above 0); reports Best-of-N too' })
      .option('out', { type: 'string', describe: 'write the trajectories (ETO format, with rewards) to this JSON file; until then finished episodes are recorded in OUT.partial.jsonl' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue a stopped exploration from OUT.partial.jsonl (give the options it was started with)' })
      .options(chatTemplateOptions) as unknown as Argv<Args>,
  handler: async (argv) => {
    const tasks = tasksOf(argv);
    // finished episodes are recorded as they finish, so that a stopped exploration resumes
    const record = argv.out === undefined ? undefined : `${argv.out}.partial.jsonl`;
    if (argv.resume && !(record && existsSync(record))) throw new InvalidArgumentError('NO_RUN', `explore: nothing to resume${record ? ` (no ${record})` : ': give the --out of the stopped exploration'}`);
    if (!argv.resume && record && existsSync(record)) throw new InvalidArgumentError('RUN_EXISTS', `explore: ${record} records a stopped exploration: continue it with --resume, or delete it`);
    // what is played: a resumed exploration must play the same
    const { parallel: _, ...replies } = exploreOptionsOf(argv); // how many play at once changes no episode
    const run = { model: argv.model, adapter: argv.adapter ?? null, tasks: tasks.map((t) => t.id), samples: argv.samples, maxSteps: argv.maxSteps ?? null, ...replies };
    let finished: Map<number, ExploredTrajectory> | undefined;
    if (record && argv.resume) {
      const recorded = readEpisodeRecord(record);
      checkSameRun('explore', record, (recorded.run ?? {}) as Record<string, unknown>, run);
      finished = recorded.episodes;
    }
    await withModel(argv, async (model, adapter) => {
      const progress = episodePrinter('explore');
      if (record && !argv.resume) startEpisodeRecord(record, run);
      const trajectories = await withInterrupt(`stopping: finished episodes are kept${record ? ` in ${record}` : ''}`, (signal) =>
        explore(model, adapter ?? model, tasks, { ...exploreOptionsOf(argv), samples: argv.samples }, {
          signal,
          finished,
          onEpisode: (t, done, total, play) => {
            if (record) appendEpisodeRecord(record, play, t);
            if (argv.json) console.log(JSON.stringify({ type: 'episode', id: t.id, sample: t.sample, reward: t.reward, steps: t.steps, end: t.end }));
            else progress(t.reward, done, total);
          },
        }),
      );
      const stopped = trajectories.length < tasks.length * argv.samples;
      if (stopped) process.exitCode = 130;
      else if (argv.out) {
        await writeJsonAtomic(argv.out, trajectories);
        rmSync(record!, { force: true });
      }
      const summary = {
        stopped,
        ...(argv.tasks !== undefined ? { tasks: argv.tasks } : { env: argv.env, split: splitOf(argv) }),
        samples: argv.samples,
        ...exploreSummary(trajectories),
        ...(argv.samples > 1 ? { bestOf: exploreSummary(bestOf(trajectories)) } : {}),
        out: stopped ? null : (argv.out ?? null),
      };
      if (argv.json) return void console.log(JSON.stringify({ type: 'result', ...summary }));
      const rates = (s: { meanReward: number; successRate: number }) => `mean reward ${s.meanReward.toFixed(3)}, success rate ${(100 * s.successRate).toFixed(1)}%`;
      console.log(
        `${stopped ? 'stopped: ' : ''}${summary.episodes} episodes: ${rates(summary)}` +
          (summary.bestOf ? `; best of ${argv.samples} per task (${summary.bestOf.episodes} tasks): ${rates(summary.bestOf)}` : '') +
          (summary.out ? `; trajectories in ${argv.out}` : '') +
          (stopped && record ? `; continue with the same command and --resume` : ''),
      );
    });
  },
};
