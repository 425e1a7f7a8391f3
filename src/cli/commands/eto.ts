import type { Argv, CommandModule } from 'yargs';
import type { Device } from '../../devices.js';
import { isWebshopTask } from '../../../envs/chat-tasks.js';
import { readTrajectories } from '../../training/conversation.js';
import { eto, type PairKind } from '../../training/eto.js';
import { agentOptions, episodePrinter, exploreOptionsOf, taskOptionsOf, type AgentArgs } from '../agent-options.js';
import { deviceOption } from '../device-option.js';
import { withInterrupt } from '../interrupt.js';
import { memoryBudgetOption } from '../memory-budget-option.js';
import { chatTemplateOptions, withModel, type ChatTemplateArgs } from '../model-session.js';
import { taskOfImported } from '../import-envs.js';

interface Args extends AgentArgs, ChatTemplateArgs {
  model: string;
  device?: Device;
  start: string;
  data: string;
  out: string;
  iterations: number;
  epochs: number;
  lr: number;
  beta: number;
  laterBeta?: number;
  laterLr?: number;
  batch: number;
  pairs: PairKind;
  resume: boolean;
  checkpointEvery: number;
  memoryBudget?: number;
}

/** `rl-ggml eto`: ETO's exploration + DPO iterations from a behaviour-cloned adapter. */
export const etoCommand: CommandModule<object, Args> = {
  command: 'eto',
  describe: 'ETO after SFT: explore the expert tasks, pair failures with expert successes, DPO; iterated',
  builder: (y: Argv) =>
    agentOptions(y)
      .option('model', { type: 'string', demandOption: true, describe: 'base GGUF model' })
      .option('start', { type: 'string', demandOption: true, describe: 'the behaviour-cloned policy: an rl-ggml sft folder or a LoRA adapter.gguf' })
      .option('data', { type: 'string', demandOption: true, describe: 'expert trajectories (rl-ggml experts output, or of your own tasks with --import; ids name the tasks)' })
      .option('out', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('iterations', { type: 'number', default: 2, describe: "ETO iterations (the paper: 2 WebShop, 1 ALFWorld)" })
      .option('epochs', { type: 'number', default: 3, describe: 'DPO epochs per iteration' })
      .option('lr', { type: 'number', default: 2e-5, describe: 'DPO peak learning rate of the LoRA (3% warm-up, cosine decay)' })
      .option('beta', { type: 'number', default: 0.1, describe: "DPO's beta" })
      .option('later-beta', { type: 'number', describe: "DPO's beta from iteration 2 on (default: --beta; ETO's released script: 0.5)" })
      .option('later-lr', { type: 'number', describe: 'DPO learning rate from iteration 2 on (default: --lr; the script halves it)' })
      .option('batch', { type: 'number', default: 32, describe: 'pairs per optimizer step' })
      .option('pairs', {
        choices: ['trajectory', 'step', 'mixture'] as const,
        default: 'trajectory' as const,
        describe: "what is explored and paired: whole tasks (ETO), from a random step of the expert's trajectory, or both",
      })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out where it stopped (its finished episodes and DPO checkpoint kept)' })
      .option('checkpoint-every', { type: 'number', default: 50, describe: 'DPO steps between checkpoints (one is also written on Ctrl-C)' })
      .option('memory-budget', memoryBudgetOption)
      .options(chatTemplateOptions)
      .option('device', deviceOption) as unknown as Argv<Args>,
  handler: async (argv) => {
    const experts = readTrajectories(argv.data);
    const tasks = taskOptionsOf(argv, experts.some((t) => isWebshopTask(t.id)));
    let progress = { iteration: 0, print: episodePrinter('') };
    let lastLine = 0;
    await withModel(argv, async (model) => {
      const result = await withInterrupt('stopping: finished episodes and DPO steps are kept', (signal) => eto(
        {
          model,
          start: argv.start,
          experts,
          out: argv.out,
          iterations: argv.iterations,
          dpo: { epochs: argv.epochs, lr: argv.lr, beta: argv.beta, batch: argv.batch, seed: argv.seed, memoryBudget: argv.memoryBudget },
          laterDpo: { beta: argv.laterBeta, lr: argv.laterLr },
          explore: exploreOptionsOf(argv),
          pairs: argv.pairs,
          tasks,
          taskOf: taskOfImported(tasks),
          resume: argv.resume,
          checkpointEvery: argv.checkpointEvery,
        },
        {
          signal,
          onEvent: (e) => {
            if (argv.json) return void console.log(JSON.stringify(e));
            if (e.type === 'episode') {
              if (progress.iteration !== e.iteration) progress = { iteration: e.iteration, print: episodePrinter(`iteration ${e.iteration} exploration`) };
              progress.print(e.reward, e.done, e.total);
            } else if (e.type === 'dpo' && (Date.now() - lastLine > 5000 || e.step === e.steps)) {
              lastLine = Date.now();
              process.stderr.write(`iteration ${e.iteration} DPO step ${e.step}/${e.steps}: loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(2)}, margin ${e.margin.toFixed(3)}\n`);
            } else if (e.type === 'iteration') {
              console.log(`iteration ${e.iteration}: explored mean reward ${e.explored.meanReward.toFixed(3)} (success ${(100 * e.explored.successRate).toFixed(1)}%), ${e.pairs} pairs, DPO loss ${e.firstLoss?.toFixed(4) ?? '–'} → ${e.finalLoss?.toFixed(4) ?? '–'}; policy in ${e.dir}`);
            }
          },
        },
      ));
      if (argv.json) console.log(JSON.stringify({ type: 'result', ...result }));
      else if (result.stopped) console.log(`stopped; continue with: rl-ggml eto --out ${argv.out} --resume (and the same options)`);
      else console.log(`done: the last adapter is ${result.adapter}`);
      if (result.stopped) process.exitCode = 130;
    });
  },
};
