/**
 * Packed action scoring vs node-llama-cpp on TWOSOME-shaped workloads.
 *
 *   npm run bench:score -- [--model M.gguf] [--threads N] [--prompts 1,8,32] [--actions 6,17] [--json]
 *
 * For each (prompts per batch, actions per prompt) it measures, on the same model file and thread count:
 * - ours: one `scoreActions` call over the whole batch (prompt tokens once, then every action's tokens);
 * - peer (a): node-llama-cpp evaluating every prompt+action as its own sequence, as TWOSOME's reference does (the
 *   actions of a prompt run concurrently in one context so llama.cpp batches them);
 * - peer (b): node-llama-cpp's plain prompt processing of as many tokens as we packed, in one sequence.
 * Reported: decisions/s (prompts scored per second), tokens/s, and the ratios ours/(a) and ours/(b). The three are
 * timed in interleaved rounds and summarized by their medians (machines are noisy; ratios are what to compare).
 */
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import { loadModel, type Model } from '../../src/model.js';
import type { ScoreItem } from '../../src/scoring.js';
import { benchArgs, benchModel, timeInterleaved } from '../common.js';

const argv = benchArgs({
  prompts: { type: 'string', default: '1,8,32', describe: 'prompts per batch' },
  actions: { type: 'string', default: '6,17', describe: 'actions per prompt' },
}, 3);

const nouns = ['tomato', 'lettuce', 'onion', 'bowl', 'cutting board', 'counter', 'dish', 'fridge', 'sofa', 'TV', 'chips', 'milk', 'remote', 'coffee table'];
const verbs = ['pick up the', 'go to the', 'put the', 'chop the', 'open the', 'walk to the', 'turn on the', 'serve the', 'take the'];

/** A TWOSOME-like prompt of roughly `words` words and `k` short actions, deterministic in `seed`. */
function workload(nPrompts: number, k: number, seed: number): ScoreItem[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: nPrompts }, () => {
    const sentences = ['There is a fixed cutting board in the room.'];
    while (sentences.join(' ').split(' ').length < 95 + Math.floor(rand() * 25)) {
      sentences.push(`You notice a ${pick(nouns)} next to the ${pick(nouns)}, and the ${pick(nouns)} is ${pick(['empty', 'closed', 'on the left', 'in the kitchen'])}.`);
    }
    sentences.push(`To serve the dish of a bowl with the chopped ${pick(nouns)}, your next step is to`);
    const actions = Array.from({ length: k }, (_, i) => `${verbs[i % verbs.length]} ${nouns[(i * 5 + Math.floor(rand() * 3)) % nouns.length]}${i >= verbs.length ? ` ${i}` : ''}`);
    return { prompt: sentences.join(' '), actions };
  });
}

async function peerPerAction(model: LlamaModel, ours: Model, items: ScoreItem[], threads: number): Promise<() => Promise<void>> {
  const k = items[0].actions.length;
  const seqs = items.map((it) => it.actions.map((a) => ours.tokenize(`${it.prompt} ${a}`, { bos: true })));
  const longest = Math.max(...seqs.flat().map((s) => s.length));
  const context = await model.createContext({ sequences: k, contextSize: k * (longest + 8), batchSize: k * (longest + 8), threads, flashAttention: false } as never);
  const sequences = Array.from({ length: k }, () => context.getSequence());
  return async () => {
    for (const prompt of seqs) {
      await Promise.all(
        prompt.map(async (tokens, i) => {
          await sequences[i].clearHistory();
          await sequences[i].controlledEvaluate(tokens.map((t, j) => (j >= tokens.length - 5 ? [t, { generateNext: { logits: { filter: { tokens: [0] } } } }] : t)) as never);
        }),
      );
    }
  };
}

async function peerPromptProcessing(model: LlamaModel, nTokens: number, threads: number): Promise<() => Promise<void>> {
  const context = await model.createContext({ contextSize: nTokens + 8, batchSize: Math.min(nTokens + 8, 2048), threads, flashAttention: false } as never);
  const sequence = context.getSequence();
  const tokens = Array.from({ length: nTokens }, (_, i) => 100 + ((i * 7919) % 20000));
  return async () => {
    await sequence.clearHistory();
    await sequence.controlledEvaluate(tokens.map((t, i) => (i === nTokens - 1 ? [t, { generateNext: { logits: { filter: { tokens: [0] } } } }] : t)) as never);
  };
}

async function main() {
  const path = await benchModel(argv.model);
  const ours = await loadModel(path, { threads: argv.threads });
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never, progressLogs: false });
  const peer = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const rows = [];
  for (const k of argv.actions.split(',').map(Number)) {
    for (const n of argv.prompts.split(',').map(Number)) {
      const items = workload(n, k, 1000 + n * 31 + k);
      const packedTokens = items.reduce((sum, it) => {
        const p = ours.tokenize(it.prompt, { bos: true }).length;
        return sum + p + it.actions.reduce((a, act) => a + ours.tokenize(`${it.prompt} ${act}`, { bos: true }).length - p, 0);
      }, 0);
      const separateTokens = items.reduce((sum, it) => sum + it.actions.reduce((a, act) => a + ours.tokenize(`${it.prompt} ${act}`, { bos: true }).length, 0), 0);
      const [tOurs, tA, tB] = await timeInterleaved(argv.minSeconds, [
        async () => void (await ours.scoreActions(items)),
        await peerPerAction(peer, ours, items, argv.threads),
        await peerPromptProcessing(peer, packedTokens, argv.threads),
      ]);
      const row = {
        prompts: n,
        actions: k,
        packedTokens,
        separateTokens,
        oursDecisionsPerSec: n / tOurs,
        oursTokensPerSec: packedTokens / tOurs,
        peerPerActionDecisionsPerSec: n / tA,
        peerPromptTokensPerSec: packedTokens / tB,
        decisionsRatioVsPerAction: tA / tOurs,
        tokensRatioVsPromptProcessing: tB / tOurs,
      };
      rows.push(row);
      if (argv.json) process.stderr.write(`done: ${n} prompts x ${k} actions\n`);
      else {
        console.log(
          `prompts ${String(n).padStart(2)} × ${String(k).padStart(2)} actions: ours ${row.oursDecisionsPerSec.toFixed(2)} dec/s, ${row.oursTokensPerSec.toFixed(0)} tok/s | ` +
            `per-action peer ${row.peerPerActionDecisionsPerSec.toFixed(2)} dec/s (×${row.decisionsRatioVsPerAction.toFixed(2)}) | ` +
            `prompt processing ${row.peerPromptTokensPerSec.toFixed(0)} tok/s (×${row.tokensRatioVsPromptProcessing.toFixed(2)})`,
        );
      }
    }
  }
  const info = { model: path, threads: argv.threads, hparams: ours.hparams, rows };
  if (argv.json) console.log(JSON.stringify(info));
  await ours.dispose();
  await peer.dispose();
}

await main();
