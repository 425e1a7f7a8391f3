import type { Argv, CommandModule } from 'yargs';
import { knownEnvSpecs } from '../../../envs/registry.js';

interface EnvListArgs {
  json: boolean;
}

/** `rl-ggml env list`: the environments rl-ggml knows (and those `--import` adds). */
export const envCommand: CommandModule = {
  command: 'env <command>',
  describe: 'Environment utilities',
  builder: (y: Argv) =>
    y
      .command<EnvListArgs>({
        command: 'list',
        describe: 'List environment ids with action counts, horizons and optimal returns',
        builder: (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as Argv<EnvListArgs>,
        handler: (argv) => {
          const rows = knownEnvSpecs().map((s) => ({
            id: s.id,
            actions: s.actionCount,
            horizon: s.horizon,
            optimalReturn: s.optimalReturn,
            description: s.description,
          }));
          if (argv.json) {
            console.log(JSON.stringify(rows));
            return;
          }
          const fmt = (v: unknown) => (v === null ? '-' : String(v));
          const table = [['id', 'actions', 'horizon', 'optimal', 'description'], ...rows.map((r) => [r.id, fmt(r.actions), fmt(r.horizon), fmt(r.optimalReturn), r.description])];
          const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
          for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
        },
      })
      .demandCommand(1),
  handler: () => {},
};
