import type { Argv, CommandModule } from 'yargs';
import type { Device } from '../../devices.js';
import { evaluate, type EvaluationResult } from '../../train/evaluate.js';
import { deviceOption } from '../device-option.js';

export interface EvalArgs {
  run: string;
  env?: string;
  episodes: number;
  greedy: boolean;
  seed?: number;
  envs?: number;
  device?: Device;
  json: boolean;
}

/** The evaluation as printed by `rl-ggml eval` (one JSON object with --json). */
export function formatEvaluation(r: EvaluationResult, json: boolean): string {
  if (json) {
    const { meanReturn, stdReturn, successRate, meanLength, episodes, env, algo, run, checkpoint } = r;
    return JSON.stringify({ meanReturn, stdReturn, successRate, meanLength, episodes, env, algo, run, checkpoint });
  }
  const success = r.successRate === null ? 'not reported' : `${(100 * r.successRate).toFixed(1)}%`;
  return [
    `${r.algo} run ${r.run} on ${r.env}, ${r.episodes} episodes`,
    `return   ${r.meanReturn.toFixed(4)} ± ${r.stdReturn.toFixed(4)} (logged)`,
    `success  ${success}`,
    `length   ${r.meanLength.toFixed(1)} steps`,
  ].join('\n');
}

/** `rl-ggml eval`: a trained run's policy (or SayCan's) over fresh episodes. */
export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: "Evaluate a run's latest checkpoint: mean/std return, success rate, episode length",
  builder: (y: Argv) =>
    y
      .option('run', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('env', { type: 'string', describe: 'environment (default: the one trained on; e.g. an unseen VirtualHome variant)' })
      .option('episodes', { type: 'number', default: 20, describe: 'episodes to run' })
      .option('greedy', { type: 'boolean', default: false, describe: 'most probable action instead of sampling' })
      .option('seed', { type: 'number', describe: "seed of the evaluation (default: the run's + 1000)" })
      .option('envs', { type: 'number', describe: 'parallel environments' })
      .option('device', deviceOption)
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object' }) as unknown as Argv<EvalArgs>,
  handler: async (argv) => {
    const r = await evaluate({ run: argv.run, env: argv.env, episodes: argv.episodes, greedy: argv.greedy, seed: argv.seed, envs: argv.envs, device: argv.device });
    console.log(formatEvaluation(r, argv.json));
  },
};
