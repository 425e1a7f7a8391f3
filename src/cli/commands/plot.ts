import type { Argv, CommandModule } from 'yargs';
import { plotRuns } from '../../train/plot.js';

interface PlotArgs {
  runs: string[];
  out: string;
  smooth: number;
  title?: string;
}

/** `rl-ggml plot`: learning curves of run folders (mean and spread across seeds). */
export const plotCommand: CommandModule<object, PlotArgs> = {
  command: 'plot <runs..>',
  describe: 'Plot learning curves into a PNG or SVG: return vs decisions of train runs, loss vs step of sft folders and eto runs',
  builder: (y: Argv) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'folders of one kind: train runs, sft outputs or eto runs' })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (.png or .svg)' })
      .option('smooth', { type: 'number', default: 10, describe: 'updates (train) or steps (sft, eto) averaged into each point' })
      .option('title', { type: 'string', describe: 'chart title (default: the environment, or the method)' }) as unknown as Argv<PlotArgs>,
  handler: async (argv) => {
    const r = await plotRuns({ runs: argv.runs.map(String), out: argv.out, smooth: argv.smooth, title: argv.title });
    console.log(`wrote ${r.out}: ${r.series.map((s) => `${s.label} (${s.points.length} points)`).join(', ')}`);
  },
};
