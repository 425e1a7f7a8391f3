import type { Argv, CommandModule, Options } from 'yargs';
import type { Device } from '../../devices.js';
import { InvalidArgumentError } from '../../errors.js';
import { algos, configSchema } from '../../train/config.js';
import { progressPrinter, type ProgressMode, type ProgressWriter } from '../../train/progress.js';
import { train, type TrainHooks, type TrainResult } from '../../train/train.js';
import { deviceOption } from '../device-option.js';
import { withInterrupt } from '../interrupt.js';

export interface TrainArgs {
  config?: string;
  device?: Device;
  out?: string;
  resume: boolean;
  json: boolean;
  [key: string]: unknown;
}

/** Flags named like the config keys (yargs also accepts them in kebab case); --steps is totalDecisions. */
function schemaOptions(): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const [key, s] of Object.entries(configSchema)) {
    const describe = s.describe;
    if (s.type === 'boolean') options[key] = { type: 'boolean', describe };
    else if (s.type === 'ints' || s.type === 'targets') options[key] = { type: 'string', array: true, describe };
    else options[key] = { type: 'string', describe, ...(s.choices ? { choices: [...s.choices] } : {}) };
  }
  options.totalDecisions = { ...options.totalDecisions, alias: 'steps' };
  options.algo = { ...options.algo, choices: [...algos] };
  return options;
}

/** Flag strings to config values; what does not parse stays a string so the schema names the key and value. */
export function configFromArgs(argv: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
  for (const [key, s] of Object.entries(configSchema)) {
    const v = argv[key];
    if (v === undefined) continue;
    if (s.type === 'ints' || s.type === 'targets') {
      const parts = (v as unknown[]).flatMap((x) => String(x).split(',')).filter((x) => x !== '');
      config[key] = s.type === 'ints' ? parts.map(num) : parts;
    } else if ((s.type === 'int' || s.type === 'number') && typeof v === 'string') {
      config[key] = s.nullable && (v === 'null' || v === 'none') ? null : num(v);
    } else if (s.nullable && (v === 'null' || v === 'none')) {
      config[key] = null;
    } else {
      config[key] = v;
    }
  }
  return config;
}

/** Runs `rl-ggml train` with parsed arguments, printing progress to `out`. */
export async function runTrain(argv: TrainArgs, out: ProgressWriter, mode: ProgressMode, hooks: Pick<TrainHooks, 'signal' | 'policyFactory' | 'resolver'> = {}): Promise<TrainResult> {
  const config = configFromArgs(argv);
  if (!argv.resume && (config.env === undefined || config.algo === undefined) && argv.config === undefined) {
    throw new InvalidArgumentError('BAD_OPTIONS', 'train needs --env and --algo (or a --config file that sets them)');
  }
  const printer = progressPrinter(mode, out);
  try {
    const result = await train(
      { config, configFile: argv.config, out: argv.out, resume: argv.resume, device: argv.device },
      { ...hooks, onProgress: (p) => printer.update(p), onNotice: (m) => printer.note(m) },
    );
    printer.finish();
    if (mode === 'json') out.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else if (result.stopped) out.write(`stopped after update ${result.update}/${result.updates}; continue with: rl-ggml train --out ${result.runDir} --resume\n`);
    else out.write(`done: ${result.decisions} decisions in ${result.updates} updates; run folder ${result.runDir}\n`);
    return result;
  } finally {
    printer.finish();
  }
}

/** `rl-ggml train`: TWOSOME, the PPO baseline or SayCan on an environment, into a run folder. */
export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train an agent (twosome, ppo) or roll out the frozen model (saycan) on an environment',
  builder: (y: Argv) =>
    y
      .options(schemaOptions())
      .option('config', { type: 'string', describe: 'JSON file of config keys (flags override it)' })
      .option('out', { type: 'string', describe: 'run folder (default runs/<task>-<algo>-s<seed>)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its latest checkpoint' })
      .option('device', deviceOption)
      .option('json', { type: 'boolean', default: false, describe: 'progress as JSON lines' }) as unknown as Argv<TrainArgs>,
  handler: async (argv) => {
    const mode: ProgressMode = argv.json ? 'json' : process.stdout.isTTY ? 'tty' : 'plain';
    const result = await withInterrupt('stopping: writing a checkpoint', (signal) => runTrain(argv, process.stdout, mode, { signal }));
    if (result.stopped) process.exitCode = 130;
  },
};
