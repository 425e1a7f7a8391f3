import type { Argv, CommandModule } from 'yargs';
import type { PlayArgs } from '../play/args.js';
import { playIndexed } from '../play/indexed.js';
import { playHousehold } from '../play/household.js';
import { playWebshop } from '../play/webshop.js';

/** `rl-ggml play`: one command for every environment family; the family is picked from the env id or options. */
export const playCommand: CommandModule<object, PlayArgs> = {
  command: 'play [env]',
  describe: 'Play an environment in the terminal, or replay fixed actions/commands',
  builder: (y: Argv) =>
    y
      .positional('env', { type: 'string', describe: 'environment id (see `rl-ggml env list`)' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output, one JSON object per line' })
      .option('actions', { type: 'string', describe: 'TWOSOME envs: comma-separated action indices to play' })
      .option('replay', { type: 'string', describe: 'TWOSOME envs: JSONL file of {"env","actions"} episodes' })
      .option('seed', { type: 'number', describe: 'household: seed of the generated game' })
      .option('split', { type: 'string', describe: 'household: train|seen|unseen' })
      .option('game', { type: 'string', describe: 'household: path to a .tw-pddl game file' })
      .option('commands', { type: 'string', describe: 'household/webshop: file with one command per line' })
      .option('data-dir', { type: 'string', describe: 'webshop: data folder' })
      .option('goal', { type: 'number', describe: 'webshop: goal index' }) as unknown as Argv<PlayArgs>,
  handler: async (argv) => {
    if (argv.game !== undefined || argv.env?.startsWith('household')) await playHousehold(argv);
    else if (argv.env === 'webshop') await playWebshop(argv);
    else await playIndexed(argv);
  },
};
