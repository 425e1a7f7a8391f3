import type { Argv, CommandModule } from 'yargs';
import type { ExpertsArgs } from '../experts/args.js';
import { householdExperts } from '../experts/household.js';
import { webshopExperts } from '../experts/webshop.js';

/** `rl-ggml experts`: expert trajectories in ETO's conversation format, for `rl-ggml sft`. */
export const expertsCommand: CommandModule<object, ExpertsArgs> = {
  command: 'experts',
  describe: "Write expert trajectories in ETO's conversation format",
  builder: (y: Argv) =>
    y
      .option('env', { type: 'string', demandOption: true, describe: 'household/<task-type>, household/mixed or webshop' })
      .option('split', { type: 'string', default: 'train', describe: 'data split' })
      .option('n', { type: 'number', default: 100, describe: 'number of trajectories' })
      .option('out', { type: 'string', demandOption: true, describe: 'output JSON file' })
      .option('seed', { type: 'number', default: 0, describe: 'seed' })
      .option('data-dir', { type: 'string', describe: 'webshop: data folder' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary' }) as unknown as Argv<ExpertsArgs>,
  handler: async (argv) => {
    if (argv.env === 'webshop') await webshopExperts(argv);
    else await householdExperts(argv);
  },
};
