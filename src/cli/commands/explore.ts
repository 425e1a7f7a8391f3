import type { Argv, CommandModule } from 'yargs';
import { chatTasks } from '../../../envs/chat-tasks.js';
import { writeJsonAtomic } from '../../train/files.js';
import { explore, exploreSummary } from '../../training/explore.js';
import { agentOptions, episodePrinter, exploreOptionsOf, taskOptionsOf, type AgentArgs } from '../agent-options.js';
import { modelSessionOptions, withModel, type ModelSessionArgs } from '../model-session.js';

interface Args extends ModelSessionArgs, AgentArgs {
  env: string;
  split?: string;
  n: number;
  out?: string;
}

/**
 * `rl-ggml explore`: a language-model agent (the model, or a LoRA adapter on it) plays N tasks of a split as ETO's
 * conversations; prints the mean reward and success rate (ETO's evaluation) and can write the trajectories.
 */
export const exploreCommand: CommandModule<object, Args> = {
  command: 'explore',
  describe: "Let the model (or an adapter) play ETO's household or WebShop tasks; mean reward, success rate, trajectories",
  builder: (y: Argv) =>
    agentOptions(modelSessionOptions(y))
      .option('env', { type: 'string', demandOption: true, describe: 'household/<task-type>, household/mixed or webshop' })
      .option('split', { type: 'string', describe: 'household: train|seen|unseen (default unseen); webshop: a goal split (default test; eto-test, ...)' })
      .option('n', { type: 'number', default: 50, describe: 'number of tasks' })
      .option('out', { type: 'string', describe: 'write the trajectories (ETO format, with rewards) to this JSON file' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const split = argv.split ?? (argv.env === 'webshop' ? 'test' : 'unseen');
    const tasks = chatTasks(argv.env, split, argv.n, { ...taskOptionsOf(argv, argv.env === 'webshop'), seed: argv.seed, dataDir: argv.dataDir });
    await withModel(argv.model, argv.adapter, argv.device, async (model, adapter) => {
      const progress = episodePrinter('explore');
      const trajectories = await explore(model, adapter ?? model, tasks, exploreOptionsOf(argv), {
        onEpisode: (t, done, total) => {
          if (argv.json) console.log(JSON.stringify({ type: 'episode', id: t.id, reward: t.reward, steps: t.steps, end: t.end }));
          else progress(t.reward, done, total);
        },
      });
      if (argv.out) await writeJsonAtomic(argv.out, trajectories);
      const summary = { env: argv.env, split, ...exploreSummary(trajectories), out: argv.out ?? null };
      console.log(
        argv.json
          ? JSON.stringify({ type: 'result', ...summary })
          : `${summary.episodes} episodes: mean reward ${summary.meanReward.toFixed(3)}, success rate ${(100 * summary.successRate).toFixed(1)}%${argv.out ? `; trajectories in ${argv.out}` : ''}`,
      );
    });
  },
};
