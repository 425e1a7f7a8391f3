// Sequences that begin alike share their beginning's computation (a DPO pair's prompt, the instruction SFT
// conversations open with): packed by a cost model, and giving the log-probs and gradients of one-by-one passes.
import t from 'tap';
import { loadModel } from '../../src/model.js';
import { packBatch, packSequences, slotLength, unitLength, type MarkedSequence, type PackUnit } from '../../src/packing.js';
import { trainingCost } from '../../src/scoring.js';
import { createPolicy } from '../../src/training/llm-policy.js';
import { batchingTolerance, gradientTolerance } from '../helpers/device.js';
import { testModel } from '../helpers/models.js';

const seq = (tokens: number[], marked: (i: number) => boolean): MarkedSequence => ({ tokens, marked: tokens.map((_, i) => marked(i)) });
/** A cost that rewards fewer tokens and charges the slot's square lightly. */
const cost = (units: readonly PackUnit[]) => units.reduce((n, u) => n + unitLength(u), 0) + 0.001 * slotLength(units) ** 2 * units.length;

t.test('packSequences: shared beginnings, owners of shared marked tokens, runs of `chunk`', async (t) => {
  const prompt = [1, 5, 6, 7, 8, 9, 10, 11];
  const a = seq([...prompt, 20, 21, 22], (i) => i >= 6);
  const b = seq([...prompt, 30, 31], (i) => i >= 7);
  const c = seq([1, 40, 41], (i) => i > 0);
  const p = packSequences([a, b, c], cost);
  t.same(
    p.units.map((u) => [u.prefix, u.branches]),
    [
      [prompt, [[20, 21, 22], [30, 31]]],
      [[1, 40, 41], []],
    ],
    'a and b share their prompt; c, sharing only BOS, stands alone',
  );
  t.same(p.units[0].scored, [[-1, 6], [-1, 7], [0, 0], [0, 1], [0, 2], [1, 0], [1, 1]]);
  t.same(p.owners, [[0], [0, 1], [0], [0], [0], [1], [1], [2], [2]], 'token 7 of the prompt counts for both');
  const batch = packBatch(p.units);
  t.same([...batch.outTargets], [10, 11, 20, 21, 22, 30, 31, 40, 41]);
  t.same(packSequences([a, b], cost, 1).units.length, 2, 'chunk 1: nothing shared');
  t.same(packSequences([a, b, a, b], cost, 2).units.map((u) => u.branches.length), [2, 2], 'chunk 2: pairs share within themselves');
  const lone = packSequences([a], cost);
  t.same([lone.units[0].prefix, lone.units[0].branches, lone.owners.length], [a.tokens, [], 5]);
});

t.test('shared beginnings: the log-probs and gradients of one-by-one passes, and a cheaper pass', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  const policy = await createPolicy(model, { lora: { rank: 2, alpha: 4, targets: ['q', 'v', 'down'] }, valueHead: false, seed: 5 });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  for (const p of policy.parameters()) policy.setParameter(p.name, policy.getParameter(p.name).map((x, i) => x + 0.02 * Math.sin(i + p.name.length)));
  const opening = 'You are in the middle of a room. Looking quickly around you, you see a cabinet 4, a cabinet 3, a cabinet 2, a cabinet 1, a countertop 1, a drawer 2, a fridge 1. Your task is to: put a clean mug in the coffeemachine.';
  const a = model.tokenize(`${opening} Thought: first I find a mug. Action: go to cabinet 1`, { bos: true });
  const b = model.tokenize(`${opening} Thought: the fridge may hold it. Action: open fridge 1`, { bos: true });
  const shared = a.findIndex((x, i) => x !== b[i]);
  const seqs = [seq(a, (i) => i >= shared - 3), seq(b, (i) => i >= shared - 3)]; // three marked tokens shared
  const packed = packSequences(seqs, (u) => trainingCost(model.hparams, u));
  t.equal(packed.units.length, 1, `the engine's cost model shares their ${shared} first tokens`);
  t.ok(policy.sequenceTrainingBytes(seqs) < policy.sequenceTrainingBytes([seqs[0]]) + policy.sequenceTrainingBytes([seqs[1]]), 'in less memory');

  const d = [0.7, -1.1];
  const grads = () => policy.parameters().map((p) => Array.from(policy.getGradient(p.name)));
  policy.zeroGrad();
  const together = await policy.forwardSequences(seqs);
  await policy.backwardSequences(d);
  const g1 = grads();
  policy.zeroGrad();
  const alone: { logprob: number[] }[] = [];
  for (const [n, s] of seqs.entries()) {
    alone.push(await policy.forwardSequences([s]));
    await policy.backwardSequences([d[n]]);
  }
  const g2 = grads();
  t.same(together.tokens, [a.length - shared + 3, b.length - shared + 3]);
  together.logprob.forEach((x, n) => t.ok(Math.abs(x - alone[n].logprob[0]) <= batchingTolerance(1e-4 * Math.abs(x)), `sequence ${n}: ${x} vs ${alone[n].logprob[0]}`));
  // each tensor's gradients, relative to its largest (in f32 on this CPU they agree to ~5e-7)
  g1.forEach((g, i) => {
    const scale = Math.max(...g2[i].map(Math.abs));
    const worst = Math.max(...g.map((x, j) => Math.abs(x - g2[i][j])));
    t.ok(scale > 0 && worst <= gradientTolerance(1e-5) * scale, `${policy.parameters()[i].name}: gradients agree to ${(worst / scale).toExponential(2)} of their largest`);
  });
});
