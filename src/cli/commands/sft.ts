import type { Argv, CommandModule } from 'yargs';
import type { Device } from '../../devices.js';
import { deviceOption } from '../device-option.js';
import { InvalidArgumentError } from '../../errors.js';
import { readTrajectories, selectTrajectories } from '../../training/conversation.js';
import type { LoraTarget } from '../../training/policy.js';
import { sft } from '../../training/sft.js';
import { withInterrupt } from '../interrupt.js';
import { memoryBudgetOption } from '../memory-budget-option.js';
import { chatTemplateOptions, withModel, type ChatTemplateArgs } from '../model-session.js';

interface Args extends ChatTemplateArgs {
  model: string;
  device?: Device;
  data: string[];
  minReward?: number;
  out: string;
  steps?: number;
  epochs: number;
  lr: number;
  batch: number;
  rank: number;
  alpha: number;
  targets: string;
  seed: number;
  json: boolean;
  memoryBudget?: number;
  checkpointEvery: number;
  resume: boolean;
}

/**
 * `rl-ggml sft`: behaviour cloning of a LoRA adapter on ETO-format trajectories; with several files and
 * `--min-reward`, rejection-sampling fine-tuning (RFT: the experts plus the explored episodes that succeeded).
 */
export const sftCommand: CommandModule<object, Args> = {
  command: 'sft',
  describe: 'Train a LoRA adapter by behaviour cloning on expert trajectories (loss on agent turns only)',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'base GGUF model' })
      .option('data', { type: 'string', array: true, demandOption: true, describe: 'trajectories JSON: [{id, conversations: [{from, value}]}]; repeat for several files' })
      .option('min-reward', { type: 'number', describe: 'train only on trajectories with at least this reward (none given: an expert\'s, 1); identical ones count once' })
      .option('out', { type: 'string', demandOption: true, describe: 'checkpoint folder to write' })
      .option('steps', { type: 'number', describe: 'optimizer steps (default: epochs over the data)' })
      .option('epochs', { type: 'number', default: 3 })
      .option('lr', { type: 'number', default: 2e-4, describe: 'peak learning rate (3% warm-up, cosine decay)' })
      .option('batch', { type: 'number', default: 8, describe: 'conversations per step' })
      .option('rank', { type: 'number', default: 8 })
      .option('alpha', { type: 'number', default: 16 })
      .option('targets', { type: 'string', default: 'q,v', describe: 'projections: q,k,v,o,gate,up,down,qkv (qkv: fused ones, as Phi-3 has; there q, k, v select it)' })
      .option('seed', { type: 'number', default: 1 })
      .option('checkpoint-every', { type: 'number', default: 50, describe: 'rewrite the checkpoint folder every this many steps (also at the end, and on Ctrl-C)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its checkpoint (give the data and options it was started with)' })
      .option('memory-budget', memoryBudgetOption)
      .options(chatTemplateOptions)
      .option('device', deviceOption)
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per step' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    const data = selectTrajectories(argv.data.map(readTrajectories), argv.minReward);
    if (data.length === 0) throw new InvalidArgumentError('BAD_DATA', `sft: no trajectory has a reward of at least ${argv.minReward}`);
    const tty = process.stdout.isTTY && !argv.json;
    let lastLine = 0;
    await withModel(argv, async (model) => {
      const result = await withInterrupt('stopping: writing a checkpoint', (signal) => sft(
        {
          model,
          data,
          out: argv.out,
          steps: argv.steps,
          epochs: argv.epochs,
          lr: argv.lr,
          batch: argv.batch,
          rank: argv.rank,
          alpha: argv.alpha,
          targets: argv.targets.split(',').map((s) => s.trim()) as LoraTarget[],
          seed: argv.seed,
          memoryBudget: argv.memoryBudget,
          checkpointEvery: argv.checkpointEvery,
          resume: argv.resume,
        },
        {
          signal,
          onProgress: (p) => {
            const line = `step ${p.step}/${p.steps}  epoch ${p.epoch + 1}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ${Math.round(p.tokensPerSecond)} tok/s`;
            if (argv.json) console.log(JSON.stringify({ type: 'progress', ...p }));
            else if (tty) {
              const width = 24, full = Math.round((p.step / p.steps) * width);
              process.stdout.write(`\r\x1b[2K[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${line}`);
            } else if (Date.now() - lastLine > 5000 || p.step === p.steps) {
              lastLine = Date.now();
              console.log(line);
            }
          },
        },
      ));
      await result.policy.dispose();
      if (tty) process.stdout.write('\n');
      const summary = { out: argv.out, trajectories: data.length, steps: result.steps, stopped: result.stopped, firstLoss: result.losses[0], finalLoss: result.losses.at(-1) };
      const loss = `loss ${summary.firstLoss?.toFixed(4) ?? '–'} → ${summary.finalLoss?.toFixed(4) ?? '–'}`;
      console.log(
        argv.json
          ? JSON.stringify({ type: 'done', ...summary })
          : result.stopped
            ? `stopped after step ${result.steps}; ${argv.out} holds it (continue with the same command and --resume)`
            : `wrote ${argv.out} (${summary.trajectories} trajectories, ${summary.steps} steps, ${loss})`,
      );
      if (result.stopped) process.exitCode = 130;
    });
  },
};
