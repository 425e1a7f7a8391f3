/**
 * rl-ggml against its peers on this machine, in one run, on one model and one workload:
 *
 * 1. packed action scoring (tokens/s) vs llama.cpp's own prompt processing (llama-bench built from the vendored tree
 *    by bench/peers/llama-bench.sh), on the same model and device;
 * 2. one TWOSOME PPO update (decisions/s) vs TWOSOME's method in PyTorch + transformers + peft
 *    (bench/peers/twosome_peft.py: fp16 on a GPU, fp32 on the CPU) on the same token ids and model shape, with the
 *    value features computed once per rollout on both sides (the peer's --cache-features);
 * 3. generation of one sequence (tokens/s, greedy) vs llama.cpp's token generation (llama-bench's tg test);
 * 4. the device memory each side used.
 *
 *   npm run bench:peers -- [--model M.gguf | --preset llama-7b --type q4_0] [--device auto|cpu|cuda]
 *       [--prompts 16 --actions 8 --prompt-words 100] [--pp 512] [--tg 128] [--min-seconds 5] [--skip llama-bench,peft] [--json]
 *
 * Each side is its own process (`rl-ggml bench --json`, then each peer), so each memory figure is its own. A peer that
 * cannot run here (no python3 with torch and peft, a failed build) is reported with its error; the rest still runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { BenchResult } from '../../src/bench/twosome-bench.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const argv = yargs(hideBin(process.argv))
  .option('model', { type: 'string', describe: 'GGUF model [default: the one rl-ggml bench generates for --preset and --type]' })
  .option('preset', { type: 'string', default: 'llama-7b' })
  .option('type', { type: 'string', default: 'q4_0' })
  .option('device', { choices: ['auto', 'cpu', 'cuda'], default: 'auto' })
  .option('threads', { type: 'number', describe: 'CPU threads [default: all cores]' })
  .option('prompts', { type: 'number', default: 16 })
  .option('actions', { type: 'number', default: 8 })
  .option('prompt-words', { type: 'number', default: 100 })
  .option('pp', { type: 'number', default: 512, describe: "llama-bench's prompt length" })
  .option('tg', { type: 'number', default: 128, describe: 'generated tokens per sequence, both sides' })
  .option('min-seconds', { type: 'number', default: 5, describe: 'time each figure for at least this long' })
  .option('skip', { type: 'string', default: '', describe: 'comma-separated peers not to run: llama-bench, peft' })
  .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
  .strict()
  .parseSync();
const skip = new Set(argv.skip.split(',').filter(Boolean));

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs a command in the repository with its stderr shown (progress, build logs) and returns its stdout. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Outcome<string> {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) return { ok: false, error: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, error: `${[cmd, ...args.slice(0, 2)].join(' ')} exited with ${r.status}` };
  return { ok: true, value: r.stdout };
}

function parsed<T>(out: Outcome<string>, pick: (text: string) => T | undefined): Outcome<T> {
  if (!out.ok) return out;
  try {
    const value = pick(out.value.trim());
    if (value !== undefined) return { ok: true, value };
  } catch {
    // reported below
  }
  return { ok: false, error: `unexpected output: ${out.value.trim().slice(0, 200)}` };
}

const dir = mkdtempSync(join(tmpdir(), 'rl-ggml-peers-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const workload = join(dir, 'workload.json');

// 1. rl-ggml, writing the token ids it scored for the PyTorch peer
type OursReport = BenchResult & { model: { path: string; architecture: string; nLayer: number; nEmbd: number; nHead: number; nHeadKv: number; headDim: number; nFf: number; nCtxTrain: number }; threads: number };
const oursOut = run(process.execPath, [
  join(root, 'dist', 'src', 'cli', 'main.js'), 'bench',
  ...(argv.model ? ['--model', argv.model] : ['--preset', argv.preset, '--type', argv.type]),
  '--device', argv.device, ...(argv.threads ? ['--threads', String(argv.threads)] : []),
  '--prompts', String(argv.prompts), '--actions', String(argv.actions), '--prompt-words', String(argv.promptWords),
  '--gen-tokens', String(argv.tg), '--min-seconds', String(argv.minSeconds), '--write-workload', workload, '--json',
]);
const ours = parsed(oursOut, (text) => JSON.parse(text.split('\n').at(-1)!) as OursReport);
if (!ours.ok) {
  console.error(`rl-ggml bench failed: ${ours.error}`);
  process.exit(1);
}
const o = ours.value;
const gpu = o.device.kind === 'gpu';

// 2. llama.cpp's prompt processing and token generation, same model and device
interface LlamaBenchRow { n_prompt: number; n_gen: number; avg_ts: number; backends: string }
const llamaRows: Outcome<LlamaBenchRow[]> | undefined = skip.has('llama-bench')
  ? undefined
  : parsed(
      run('sh', [join(root, 'bench', 'peers', 'llama-bench.sh'), o.model.path, '-p', String(argv.pp), '-n', String(argv.tg), ...(gpu ? ['-ngl', '99', '-fa', '1'] : ['-ngl', '0', '-t', String(o.threads)])], gpu ? { RL_GGML_CUDA: '1' } : {}),
      (text) => JSON.parse(text) as LlamaBenchRow[],
    );
const llamaRow = (pick: (r: LlamaBenchRow) => boolean): Outcome<LlamaBenchRow> | undefined => {
  if (!llamaRows?.ok) return llamaRows;
  const row = llamaRows.value.find(pick);
  return row ? { ok: true, value: row } : { ok: false, error: 'llama-bench printed no such test' };
};
const llama = llamaRow((r) => r.n_prompt > 0 && r.n_gen === 0);
const llamaGen = llamaRow((r) => r.n_gen > 0 && r.n_prompt === 0);

// 3. TWOSOME's method in PyTorch on the same token ids
interface PeerReport { decisionsPerSec: number; peakGpuBytes?: number; dtype: string; device: string }
const peer: Outcome<PeerReport> | undefined = skip.has('peft')
  ? undefined
  : parsed(
      run('python3', [
        join(root, 'bench', 'peers', 'twosome_peft.py'), '--workload', workload, '--arch', o.model.architecture,
        '--layers', String(o.model.nLayer), '--embd', String(o.model.nEmbd), '--heads', String(o.model.nHead),
        '--kv-heads', String(o.model.nHeadKv), '--head-dim', String(o.model.headDim), '--ff', String(o.model.nFf), '--ctx', String(o.model.nCtxTrain),
        '--dtype', gpu ? 'float16' : 'float32', '--device', gpu ? 'cuda' : 'cpu', '--cache-features',
        '--min-seconds', String(argv.minSeconds), '--json',
      ]),
      (text) => JSON.parse(text.split('\n').at(-1)!) as PeerReport,
    );

const ratio = (a: number, b: Outcome<number> | undefined) => (b?.ok ? a / b.value : null);
const value = <T, U>(x: Outcome<T> | undefined, f: (v: T) => U): Outcome<U> | undefined => (x?.ok ? { ok: true, value: f(x.value) } : x);
const llamaTps = value(llama, (r) => r.avg_ts);
const llamaGenTps = value(llamaGen, (r) => r.avg_ts);
const oursGenTps = o.generation?.tokensPerSec ?? 0;
const peerDps = value(peer, (r) => r.decisionsPerSec);
const summary = {
  model: o.model,
  device: o.device,
  workload: o.workload,
  scoring: { oursTokensPerSec: o.scoring.tokensPerSec, llamaBench: llama ?? 'skipped', ratio: ratio(o.scoring.tokensPerSec, llamaTps), llamaBenchPromptTokens: argv.pp },
  ppoUpdate: { oursDecisionsPerSec: o.ppoUpdate.decisionsPerSec, peft: peer ?? 'skipped', ratio: ratio(o.ppoUpdate.decisionsPerSec, peerDps) },
  generation: { oursTokensPerSec: oursGenTps, llamaBench: llamaGen ?? 'skipped', ratio: ratio(oursGenTps, llamaGenTps), tokens: argv.tg },
  memory: { ours: o.memory, peftPeakGpuBytes: peer?.ok ? (peer.value.peakGpuBytes ?? null) : null },
};
if (argv.json) {
  console.log(JSON.stringify(summary));
} else {
  const show = (x: Outcome<number> | undefined, digits: number) => (x === undefined ? 'skipped' : x.ok ? x.value.toFixed(digits) : `failed: ${x.error}`);
  const times = (r: number | null) => (r === null ? '–' : `${r.toFixed(2)}×`);
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
  console.log(`model   ${o.model.path} (${o.model.nLayer} layers × ${o.model.nEmbd})`);
  console.log(`device  ${o.device.id} (${o.device.description})`);
  console.log(`scoring tokens/s       rl-ggml ${o.scoring.tokensPerSec.toFixed(0)}   llama-bench pp${argv.pp} ${show(llamaTps, 0)}   ratio ${times(summary.scoring.ratio)}`);
  console.log(`PPO update decisions/s rl-ggml ${o.ppoUpdate.decisionsPerSec.toFixed(3)}   PyTorch+peft ${show(peerDps, 3)}   ratio ${times(summary.ppoUpdate.ratio)}`);
  console.log(`generation tokens/s    rl-ggml ${oursGenTps.toFixed(1)}   llama-bench tg${argv.tg} ${show(llamaGenTps, 1)}   ratio ${times(summary.generation.ratio)}`);
  const mem = o.memory.kind === 'gpu' ? `${gib(o.memory.peakUsedBytes)} peak in use on the GPU` : `${gib(o.memory.peakRssBytes)} peak resident`;
  console.log(`memory                 rl-ggml ${mem}${summary.memory.peftPeakGpuBytes ? `   PyTorch+peft ${gib(summary.memory.peftPeakGpuBytes)} peak allocated` : ''}`);
}
