import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import {
  defaultShape,
  generatedBenchModel,
  generatedBenchModelPath,
  resolveBenchOptions,
  runTwosomeBench,
  workloadTokens,
  type BenchPreset,
  type BenchResult,
} from '../../bench/twosome-bench.js';
import type { TimingProgress } from '../../bench/timing.js';
import type { Device } from '../../devices.js';
import { InvalidArgumentError } from '../../errors.js';
import { presets, weightTypes, type WeightType } from '../../make-model.js';
import { loadModel } from '../../model.js';
import { resolveModel } from '../../train/model-source.js';
import { deviceOption } from '../device-option.js';

interface Args {
  model?: string;
  preset?: BenchPreset;
  type?: WeightType;
  device?: Device;
  threads?: number;
  prompts: number;
  actions: number;
  promptWords: number;
  genTokens: number;
  genParallel: number;
  sftConversations: number;
  minSeconds: number;
  writeWorkload?: string;
  json: boolean;
}

const DEFAULT_PRESET: BenchPreset = 'llama-7b';
const DEFAULT_TYPE: WeightType = 'q4_0';

/**
 * Status on stderr. On a terminal: one line redrawn in place, with the seconds spent in the current phase, cleared
 * when done. Otherwise: one plain line per phase and none per tick, so logs stay short.
 */
function statusLine(out: NodeJS.WriteStream = process.stderr) {
  const tty = out.isTTY === true;
  let current: string | undefined;
  let since = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (current === undefined) return;
    const s = Math.floor((Date.now() - since) / 1000);
    out.write(`\r\x1b[2K${current}${s > 0 ? ` (${s} s)` : ''}`);
  };
  const clear = () => {
    if (current !== undefined && tty) out.write('\r\x1b[2K');
    current = undefined;
  };
  return {
    /** A line that stays (on a terminal too). */
    notice(message: string): void {
      clear();
      out.write(`${message}\n`);
    },
    /** The start of a phase (`plain`: also a line when stderr is no terminal). */
    phase(message: string, plain = true): void {
      if (!tty) {
        if (plain) out.write(`${message}\n`);
        return;
      }
      current = message;
      since = Date.now();
      draw();
      timer ??= setInterval(draw, 1000).unref();
    },
    /** New wording for the current phase, its clock kept: terminal only. */
    detail(message: string): void {
      if (!tty || current === undefined) return;
      current = message;
      draw();
    },
    done(): void {
      clear();
      clearInterval(timer);
      timer = undefined;
    },
  };
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
const rate = (x: number) => (x >= 100 ? int(x) : x.toPrecision(3));

function memoryLine(m: BenchResult['memory']): string {
  const e = m.engine;
  const engine = `engine: weights ${gib(e.weightsBytes)}, trainable state ${gib(e.paramsBytes)}, compute ${gib(e.computeBytes)}`;
  return m.kind === 'gpu'
    ? `peak ${gib(m.peakUsedBytes)} used of ${gib(m.totalBytes)} on the GPU (${gib(m.usedBytes)} after the run; both include the driver context); ${engine}`
    : `peak RSS ${gib(m.peakRssBytes)} (process); ${engine}`;
}

/** `rl-ggml bench`: TWOSOME's speed on this machine (packed action scoring, one PPO update), ETO's (generation, an SFT step), memory. */
export const benchCommand: CommandModule<object, Args> = {
  command: 'bench',
  describe: "Measure speed here: TWOSOME's packed action scoring and PPO update, ETO's generation and SFT step (decisions/s, tokens/s, memory)",
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', describe: `GGUF model path or hf: URI [default: a generated random-weights model, --preset ${DEFAULT_PRESET} --type ${DEFAULT_TYPE}, made once into the cache]` })
      .option('preset', { choices: Object.keys(presets), describe: `shape of the generated model [default: ${DEFAULT_PRESET}]` })
      .option('type', { choices: weightTypes as string[], describe: `weight type of the generated model [default: ${DEFAULT_TYPE}]` })
      .conflicts('model', ['preset', 'type'])
      .option('device', deviceOption)
      .option('threads', { type: 'number', describe: 'CPU threads [default: all cores]' })
      .option('prompts', { type: 'number', default: defaultShape.prompts, describe: 'decisions in the workload (prompts, each with its actions)' })
      .option('actions', { type: 'number', default: defaultShape.actions, describe: 'actions per prompt' })
      .option('prompt-words', { type: 'number', default: defaultShape.promptWords, describe: 'words per prompt' })
      .option('gen-tokens', { type: 'number', default: 128, describe: 'new tokens per generated sequence (0: no generation figures)' })
      .option('gen-parallel', { type: 'number', default: 8, describe: 'sequences decoded together for the batched generation figure' })
      .option('sft-conversations', { type: 'number', default: 1, describe: "household expert conversations in the SFT step figure (ETO's behaviour cloning; 0: none)" })
      .option('min-seconds', { type: 'number', default: 5, describe: 'time each figure for at least this long (and at least 3 rounds)' })
      .option('write-workload', { type: 'string', describe: "write the workload's token ids to this JSON file (the input of bench/peers/twosome_peft.py)" })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example('rl-ggml bench', 'TWOSOME on a generated LLaMA-7B-shaped q4_0 model')
      .example('rl-ggml bench --model llama-2-7b.Q4_0.gguf --device cuda --json', 'a real model on the first GPU') as unknown as Argv<Args>,
  handler: async (argv) => {
    // Bad numbers fail before anything is generated or loaded.
    const options = { prompts: argv.prompts, actions: argv.actions, promptWords: argv.promptWords, genTokens: argv.genTokens, genParallel: argv.genParallel, sftConversations: argv.sftConversations, minSeconds: argv.minSeconds };
    resolveBenchOptions(options);
    if (argv.threads !== undefined && (!Number.isInteger(argv.threads) || argv.threads < 1)) {
      throw new InvalidArgumentError('INVALID_ARGUMENT', `--threads must be a positive integer, got ${argv.threads}`);
    }
    const status = statusLine();
    try {
      let path: string;
      let generated = false;
      if (argv.model !== undefined) path = (await resolveModel(argv.model)).path;
      else {
        const preset = argv.preset ?? DEFAULT_PRESET;
        const type = argv.type ?? DEFAULT_TYPE;
        const out = generatedBenchModelPath(preset, type);
        if (existsSync(out)) path = out;
        else {
          status.notice(`generating the benchmark model ${out} once (${preset} shapes, ${type}, random weights${preset === 'llama-7b' ? ', about 3.8 GB' : ''})`);
          status.phase('generating…', false);
          ({ path } = await generatedBenchModel(preset, type));
        }
        generated = true;
      }

      const threads = argv.threads ?? availableParallelism();
      status.phase(`loading ${path}…`);
      const model = await loadModel(path, { threads, device: argv.device });
      try {
        if (argv.writeWorkload) {
          const tokens = workloadTokens(model, resolveBenchOptions(options).items);
          try {
            writeFileSync(argv.writeWorkload, `${JSON.stringify(tokens)}\n`);
          } catch (err) {
            throw new InvalidArgumentError('CANNOT_WRITE', `cannot write the workload to ${argv.writeWorkload}: ${(err as Error).message}`, { cause: err });
          }
        }
        const onProgress = (p: TimingProgress) => {
          if (p.phase === 'warm-up') status.phase(`warming up (one scoring pass, one PPO update${argv.genTokens > 0 ? ', generation' : ''}${argv.sftConversations > 0 ? ', an SFT step' : ''})…`);
          else if (p.rounds === 0) status.phase(`measuring for at least ${argv.minSeconds} s…`);
          else status.detail(`measuring for at least ${argv.minSeconds} s… ${p.rounds} round${p.rounds === 1 ? '' : 's'}`);
        };
        const result = await runTwosomeBench(model, { ...options, onProgress });
        status.done();
        const hp = model.hparams;
        const report = {
          model: { path, generated, architecture: hp.architecture, nLayer: hp.nLayer, nEmbd: hp.nEmbd, nHead: hp.nHead, nHeadKv: hp.nHeadKv, headDim: hp.headDim, nFf: hp.nFf, nCtxTrain: hp.nCtxTrain, nVocab: hp.nVocab },
          threads,
          minSeconds: argv.minSeconds,
          ...result,
          ...(argv.writeWorkload ? { workloadFile: argv.writeWorkload } : {}),
        };
        if (argv.json) {
          console.log(JSON.stringify(report));
          return;
        }
        const w = result.workload;
        const u = result.ppoUpdate;
        console.log(`model     ${path} (${hp.nLayer} layers × ${hp.nEmbd}${generated ? ', random weights' : ''})`);
        console.log(`device    ${result.device.id} (${result.device.description})${result.device.kind === 'cpu' ? `, ${threads} threads` : ''}`);
        console.log(`workload  ${w.prompts} prompts × ${w.actions} actions, ${w.promptWords}-word prompts: ${int(w.promptTokens)} prompt + ${int(w.actionTokens)} action tokens (${int(w.packedTokens)} packed)`);
        console.log('');
        const row = (label: string, decisions: string, tokens: string, seconds: string) => console.log(`${label.padEnd(24)}${decisions.padStart(12)}${tokens.padStart(12)}${seconds.padStart(10)}`);
        row('', 'decisions/s', 'tokens/s', 'seconds');
        row('packed action scoring', rate(result.scoring.decisionsPerSec), rate(result.scoring.tokensPerSec), result.scoring.secondsPerCall.toFixed(3));
        row('TWOSOME PPO update', rate(u.decisionsPerSec), '–', u.secondsPerUpdate.toFixed(3));
        const g = result.generation;
        if (g) {
          row('generation, 1 sequence', '–', rate(g.tokensPerSec), g.secondsPerCall.toFixed(3));
          row(`generation, ${g.parallel} together`, '–', rate(g.batchTokensPerSec), g.batchSecondsPerCall.toFixed(3));
        }
        const f = result.sftStep;
        if (f) row(`SFT step, ${int(f.tokens)} tokens`, '–', rate(f.tokensPerSec), f.secondsPerStep.toFixed(3));
        console.log('');
        console.log(`memory    ${memoryLine(result.memory)}`);
        console.log(
          `(medians of ${result.rounds} interleaved rounds; the update = rollout scoring in groups of ${u.actBatch}, value minibatches of ${u.valueMinibatch}, ` +
            `policy minibatches of ${u.policyMinibatch}, ${u.actorSteps} actor step${u.actorSteps === 1 ? '' : 's'})`,
        );
        if (argv.writeWorkload) console.log(`workload token ids written to ${argv.writeWorkload} (python3 bench/peers/twosome_peft.py --workload ${argv.writeWorkload})`);
      } finally {
        await model.dispose();
      }
    } finally {
      status.done();
    }
  },
};
