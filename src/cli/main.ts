#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { RlGgmlError } from '../errors.js';
import { benchCommand } from './commands/bench.js';
import { envCommand } from './commands/env.js';
import { etoCommand } from './commands/eto.js';
import { evalCommand } from './commands/eval.js';
import { expertsCommand } from './commands/experts.js';
import { exploreCommand } from './commands/explore.js';
import { generateCommand } from './commands/generate.js';
import { infoCommand } from './commands/info.js';
import { logprobsCommand } from './commands/logprobs.js';
import { makeModelCommand } from './commands/make-model.js';
import { makeShopCommand } from './commands/make-shop.js';
import { playCommand } from './commands/play.js';
import { plotCommand } from './commands/plot.js';
import { scoreCommand } from './commands/score.js';
import { sftCommand } from './commands/sft.js';
import { shopCommand } from './commands/shop.js';
import { trainCommand } from './commands/train.js';
import { importEnvModules, importOption } from './import-envs.js';

/** Command modules in the order `--help` lists them. */
const commands = [
  makeModelCommand,
  infoCommand,
  logprobsCommand,
  scoreCommand,
  generateCommand,
  trainCommand,
  evalCommand,
  plotCommand,
  benchCommand,
  sftCommand,
  exploreCommand,
  etoCommand,
  envCommand,
  playCommand,
  expertsCommand,
  makeShopCommand,
  shopCommand,
];

/** Parses `args` and runs the chosen command. */
async function main(args: string[]): Promise<void> {
  let cli = yargs(args)
    .scriptName('rl-ggml')
    .option('import', importOption)
    .middleware((argv) => importEnvModules((argv.import as string[] | undefined) ?? []))
    .strict()
    .demandCommand(1)
    .recommendCommands()
    .help()
    .alias('h', 'help');
  for (const command of commands) cli = cli.command(command as never);
  await cli
    .fail((msg, err) => {
      if (err) throw err;
      console.error(`${msg}\n\nRun with --help for usage.`);
      process.exit(2);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch((err: unknown) => {
  if (err instanceof RlGgmlError) {
    console.error(`rl-ggml: ${err.message}`);
    process.exit(1);
  }
  throw err;
});
