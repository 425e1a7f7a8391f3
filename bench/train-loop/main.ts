/**
 * The full training loop's throughput and where its time goes.
 *
 *   node dist/bench/train-loop/main.js [--model M.gguf] [--ppo-decisions N] [--llm-updates N] [--json]
 *
 * Runs `train()` into temporary run folders and reads back the per-update timings it logs (metrics.jsonl `seconds`):
 * - ppo: the from-scratch baseline on overcooked/tomato-salad with its default settings;
 * - twosome: the native LoRA policy on virtualhome/food-preparation and overcooked/tomato-salad (TWOSOME's
 *   4 envs × 32 steps, value head 1024-512), with `--model` or a generated random-weights model (2 layers × 64);
 * - saycan: rollouts of the frozen model alone.
 * Reported per case: decisions/s of the whole loop (rollout + update), tokens/s scored, and the share of wall time
 * spent stepping environments, scoring/acting (model forward, sampling), and in updates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { makeModel } from '../../src/make-model.js';
import { RunFolder } from '../../src/train/run-folder.js';
import { train } from '../../src/train/train.js';

const argv = yargs(hideBin(process.argv))
  .option('model', { type: 'string', describe: 'GGUF for the LLM cases (default: a generated tiny random-weights model)' })
  .option('ppo-decisions', { type: 'number', default: 51_200, describe: 'decisions of the ppo case' })
  .option('llm-updates', { type: 'number', default: 3, describe: 'updates of each LLM case (128 decisions each)' })
  .option('json', { type: 'boolean', default: false })
  .strict()
  .parseSync();

interface Case {
  name: string;
  config: Record<string, unknown>;
}

interface Figures {
  case: string;
  env: string;
  decisions: number;
  wallSeconds: number;
  decisionsPerSecond: number;
  tokensPerSecond: number;
  share: { env: number; scoring: number; update: number };
}

async function measure(dir: string, c: Case): Promise<Figures> {
  const r = await train({ out: join(dir, c.name.replace(/\W+/g, '-')), config: { ...c.config, checkpointEvery: 1_000_000 } });
  const metrics = new RunFolder(r.runDir).readMetrics() as { seconds: Figures['share'] & { total: number }; tokensPerSecond: number }[];
  const sum = (k: keyof Figures['share'] | 'total') => metrics.reduce((a, m) => a + m.seconds[k], 0);
  const total = sum('total');
  const tokens = metrics.reduce((a, m) => a + m.tokensPerSecond * m.seconds.total, 0);
  return {
    case: c.name,
    env: String(c.config.env),
    decisions: r.decisions,
    wallSeconds: total,
    decisionsPerSecond: r.decisions / total,
    tokensPerSecond: tokens / total,
    share: { env: sum('env') / total, scoring: sum('scoring') / total, update: sum('update') / total },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-ggml-bench-train-'));
  try {
    let model = argv.model;
    if (!model) {
      model = join(dir, 'tiny.gguf');
      await makeModel({ out: model, preset: 'tiny', seed: 1 });
    }
    const llmDecisions = argv['llm-updates'] * 128;
    const cases: Case[] = [
      { name: 'ppo', config: { env: 'overcooked/tomato-salad', algo: 'ppo', totalDecisions: argv['ppo-decisions'] } },
      ...['virtualhome/food-preparation', 'overcooked/tomato-salad'].flatMap((env) => [
        { name: `twosome ${env}`, config: { env, algo: 'twosome', model, totalDecisions: llmDecisions } },
        { name: `saycan ${env}`, config: { env, algo: 'saycan', model, totalDecisions: llmDecisions } },
      ]),
    ];
    const results: Figures[] = [];
    for (const c of cases) {
      const f = await measure(dir, c);
      results.push(f);
      if (!argv.json) {
        const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
        console.log(
          `${f.case.padEnd(38)} ${f.decisionsPerSecond.toFixed(1).padStart(9)} dec/s ${f.tokensPerSecond.toFixed(0).padStart(8)} tok/s` +
            `  env ${pct(f.share.env)}  scoring ${pct(f.share.scoring)}  update ${pct(f.share.update)}  (${f.decisions} decisions, ${f.wallSeconds.toFixed(1)} s)`,
        );
      }
    }
    if (argv.json) console.log(JSON.stringify({ model: argv.model ?? 'generated tiny (2 layers x 64, random weights)', results }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
