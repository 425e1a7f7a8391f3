// ETO's DPO stage: the loss and its derivatives (finite differences, large margins), the pair rules of the paper,
// micro-batching by length and cost that never splits a pair, and DPO on a generated model: the reference is the entry policy (first
// loss exactly ln 2), and training moves the log-ratio towards the chosen side.
import t from 'tap';
import { loadModel } from '../../src/model.js';
import { defaultMemoryBudget, microBatches, passPlan, sequenceMemoryBudget, type PassPlan } from '../../src/training/batching.js';
import { conversationTokens, type Trajectory, type Turn } from '../../src/training/conversation.js';
import { dpo, dpoLoss, makePairs, type DpoProgress } from '../../src/training/dpo.js';
import { createPolicy, type MarkedSequence } from '../../src/training/llm-policy.js';
import { tempPath, testModel } from '../helpers/models.js';

const opening: Turn[] = [
  { from: 'human', value: 'You are an agent. Reply with Thought and Action.' },
  { from: 'gpt', value: 'OK' },
  { from: 'human', value: 'Your task is to: put a mug on the table.' },
];
const rounds = (n: number, action: string): Turn[] =>
  Array.from({ length: n }, (_, i): Turn[] => [
    { from: 'gpt', value: `Thought: step ${i}.\nAction: ${action} ${i}` },
    { from: 'human', value: `Observation: you did ${action} ${i}.` },
  ]).flat();
const traj = (id: string, turns: Turn[], reward?: number): Trajectory => ({ id, conversations: [...opening, ...turns], ...(reward === undefined ? {} : { reward }) });

t.test('dpoLoss: value, derivatives by finite differences, finite for huge margins', async (t) => {
  const ref = { chosen: -12.5, rejected: -9.25 };
  for (const beta of [0.1, 0.5]) {
    for (const p of [{ chosen: -12, rejected: -10 }, { chosen: -20, rejected: -3 }]) {
      const d = dpoLoss(p, ref, beta);
      const z = beta * (p.chosen - ref.chosen - (p.rejected - ref.rejected));
      t.ok(Math.abs(d.loss - -Math.log(1 / (1 + Math.exp(-z)))) < 1e-12);
      const h = 1e-5;
      const fdC = (dpoLoss({ ...p, chosen: p.chosen + h }, ref, beta).loss - dpoLoss({ ...p, chosen: p.chosen - h }, ref, beta).loss) / (2 * h);
      const fdR = (dpoLoss({ ...p, rejected: p.rejected + h }, ref, beta).loss - dpoLoss({ ...p, rejected: p.rejected - h }, ref, beta).loss) / (2 * h);
      t.ok(Math.abs(fdC - d.dChosen) < 1e-8 && Math.abs(fdR - d.dRejected) < 1e-8, `beta ${beta}: ${d.dChosen} vs ${fdC}`);
    }
  }
  const far = dpoLoss({ chosen: 0, rejected: -1e5 }, { chosen: 0, rejected: 0 }, 0.1);
  const wrong = dpoLoss({ chosen: -1e5, rejected: 0 }, { chosen: 0, rejected: 0 }, 0.1);
  t.same([far.loss, far.dChosen], [0, -0]);
  t.same([wrong.loss, wrong.dChosen, wrong.dRejected], [1e4, -0.1, 0.1]);
});

t.test("pairs follow ETO's rules", async (t) => {
  const experts = [traj('a', rounds(2, 'take')), traj('b', rounds(3, 'buy'), 0.5), traj('c', rounds(1, 'go'), 0.75)];
  const explored = [
    traj('a', rounds(4, 'look'), 0), // a failure: the expert is chosen
    traj('b', rounds(20, 'click'), 0.25), // partial rewards: cut to the expert's 3 rounds + 5
    traj('c', rounds(2, 'walk'), 1), // the agent beat the expert: its trajectory is chosen
  ];
  const pairs = makePairs(experts, explored, { cutRounds: 5 });
  t.equal(pairs.length, 3);
  t.same(pairs[0].prompt, opening);
  t.same([pairs[0].chosen, pairs[0].rejected.length], [rounds(2, 'take').slice(0, -1), 7], 'the expert wins; trailing observations are dropped');
  t.equal(pairs[1].rejected.filter((x) => x.from === 'gpt').length, 8, 'cut at 3 + 5 rounds');
  t.same([pairs[1].chosenReward, pairs[1].rejectedReward], [0.5, 0.25]);
  t.same(pairs[2].chosen[0], rounds(1, 'walk')[0], 'a better exploration is chosen');
  t.equal(makePairs(experts, explored).find((p) => p.id === 'b')!.rejected.length, 39, 'no cut without cutRounds');
  t.same(makePairs(experts, [traj('a', rounds(1, 'x'), 1), traj('b', rounds(1, 'y'), 0.5)]), [], 'equal rewards give no pair (experts without reward count 1)');
  t.same(makePairs(experts, [traj('a', [], 0)]), [], 'an episode without a reply gives no pair');
  t.throws(() => makePairs(experts, [traj('zzz', rounds(1, 'x'), 0)]), { code: 'BAD_DATA' });

  // step-wise: the agent took over after the expert's first 2 of 3 replies (replayed, with their observations)
  const [step] = makePairs(experts, [{ ...traj('b', [...rounds(3, 'buy').slice(0, 4), ...rounds(9, 'click').slice(4)], 0), forced: 2 }], { cutRounds: 5 });
  t.same(step.prompt, [...opening, ...rounds(2, 'buy')], 'the replayed rounds join the prompt');
  t.same(step.chosen, rounds(3, 'buy').slice(4, 5), "chosen: the expert's continuation from there");
  t.same(step.rejected.filter((x) => x.from === 'gpt').length, 6, "rejected: the agent's 7 replies, cut at the expert's 1 remaining + 5");
  t.same(step.rejected[0], rounds(9, 'click')[4]);
});

t.test('micro-batches: in order of length, bounded, split where passes cost less, pairs kept together', async (t) => {
  const seq = (n: number) => ({ tokens: Array<number>(n).fill(1), marked: Array<boolean>(n).fill(true) });
  const seqs = [10, 30, 20, 20, 50, 5, 5, 5].map(seq);
  // a pass pads to its longest sequence: memory and time grow with the padded tokens, and a pass costs 20 more
  const padded = (m: readonly MarkedSequence[]) => Math.max(...m.map((s) => s.tokens.length)) * m.length;
  const plan = (budget: number): PassPlan => ({ assess: (m) => ({ fits: padded(m) <= budget, cost: padded(m) + 20 }) });
  const lengths = (passes: number[][], of = seqs) => passes.map((p) => p.map((i) => of[i].tokens.length));
  t.same(lengths(microBatches(seqs, plan(60))), [[5, 5, 5, 10], [20, 20], [30], [50]], 'shortest first, equal lengths share a pass');
  t.same(lengths(microBatches(seqs, plan(1000))), [[5, 5, 5, 10], [20, 20, 30], [50]], 'within memory, a pass pads only where that costs less than another pass');
  const pairs = microBatches(seqs, plan(60), 2);
  t.same(pairs.map((p) => p.map((i) => Math.floor(i / 2))), [[3, 3], [1, 1], [0, 0], [2, 2]], 'pairs by their longest side, never split');
  t.same(pairs.flat().sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'every sequence once');
  t.same(microBatches(seqs, plan(1), 2).map((m) => m.length), [2, 2, 2, 2], 'a chunk larger than the budget still runs alone');

  // SFT and DPO size them by the engine's memory estimate of a training forward+backward, and group them by its
  // cost model
  const model = await loadModel(await testModel(), { threads: 1 });
  const policy = await createPolicy(model, { valueHead: false });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  // sequences that share no beginning (each is packed alone)
  const real = [40, 40, 40, 90].map((n, k) => ({ tokens: Array.from({ length: n }, (_, i) => 100 + 1000 * k + i), marked: Array.from({ length: n }, (_, i) => i > n / 2) }));
  const budget = policy.sequenceTrainingBytes(real.slice(0, 2));
  t.ok(budget > policy.sequenceTrainingBytes(real.slice(0, 1)) && budget < policy.sequenceTrainingBytes(real.slice(0, 3)));
  t.same(lengths(microBatches(real, passPlan(policy, budget)), real), [[40, 40], [40], [90]], 'two 40-token sequences fit where three do not');
  const long = [...real.slice(0, 3), { tokens: Array.from({ length: 2000 }, (_, i) => 5000 + i), marked: Array<boolean>(2000).fill(true) }];
  t.same(lengths(microBatches(long, passPlan(policy, Infinity)), long), [[40, 40, 40], [2000]], 'equal lengths share a pass, a long sequence trains alone rather than pad the short ones');
  await policy.forwardSequences(real.slice(0, 2));
  await policy.backwardSequences([1, 1]);
  t.ok(policy.memoryUsage().compute <= budget, `the estimate covers the allocation (${policy.memoryUsage().compute} <= ${budget} B)`);

  // the default budget follows the device: a quarter of its free memory, never under 2 GiB
  const on = (free: number) => sequenceMemoryBudget({ deviceMemory: () => ({ free, total: 2 * free }) } as unknown as typeof model);
  t.equal(on(80 * 2 ** 30), 20 * 2 ** 30, 'a large GPU keeps every activation of longer conversations');
  t.equal(on(4 * 2 ** 30), defaultMemoryBudget, 'a small one checkpoints beyond 2 GiB');
  t.ok(sequenceMemoryBudget(model) >= Math.max(defaultMemoryBudget, model.deviceMemory().free / 8), 'this device: from its free memory');
});

t.test('DPO on a generated model: the entry policy is the reference, and training prefers the chosen side', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  const policy = await createPolicy(model, { valueHead: false, seed: 3 });
  t.teardown(async () => {
    await policy.dispose();
    await model.dispose();
  });
  const experts = ['a', 'b', 'c'].map((id, i) => traj(id, rounds(1 + i, 'take mug')));
  const pairs = makePairs(experts, ['a', 'b', 'c'].map((id) => traj(id, rounds(2, 'go to drawer'), 0)));
  const sides = pairs.map((p) => [p.chosen, p.rejected].map((s) => conversationTokens(model, [...p.prompt, ...s], 3)));
  const markedCount = (turns: Turn[], from: number) => conversationTokens(model, turns, from).marked.filter(Boolean).length;
  const whole = [...pairs[0].prompt, ...pairs[0].chosen];
  t.equal(markedCount(whole, 0) - markedCount(whole, 3), markedCount(whole.slice(0, 2), 0), "the opening's \"OK\" is not scored");
  t.equal(markedCount(whole.slice(0, 2), 0), 3, '(" OK", " " and </s>)');
  const before = (await policy.forwardSequences(sides.flat())).logprob;
  const steps: DpoProgress[] = [];
  const r = await dpo(policy, pairs, { batch: 2, epochs: 4, lr: 5e-3, memoryBudget: 1 }, { onProgress: (p) => steps.push(p) });
  t.equal(r.steps, 8);
  t.equal(r.dropped, 0);
  t.ok(Math.abs(steps[0].loss - Math.LN2) < 1e-6, `first loss ${steps[0].loss} = ln 2: the reference is the policy on entry`);
  t.equal(steps[0].accuracy, 0);
  t.ok(r.losses.at(-1)! < 0.3, `loss ${r.losses[0].toFixed(3)} -> ${r.losses.at(-1)!.toFixed(3)}`);
  t.equal(steps.at(-1)!.accuracy, 1);
  const after = (await policy.forwardSequences(sides.flat())).logprob;
  for (let i = 0; i < pairs.length; i++) {
    const gain = after[2 * i] - before[2 * i] - (after[2 * i + 1] - before[2 * i + 1]);
    t.ok(gain > 1, `pair ${i}: chosen-vs-rejected log-ratio +${gain.toFixed(2)}`);
  }
  t.same(steps.map((s) => s.lr > 0), steps.map(() => true));
  await t.rejects(dpo(policy, pairs, { beta: 0 }), { code: 'INVALID_ARGUMENT' });
  const nothing = await dpo(policy, []);
  t.same(nothing, { steps: 0, losses: [], stopped: false, dropped: 0 });

  // checkpoints: a stage stopped after a step resumes from it, given the policy it began with; another stage's
  // checkpoint is refused
  const dir = tempPath('dpo-stage');
  await policy.save(tempPath('dpo-entry'));
  const stop = new AbortController();
  const stage = { batch: 2, epochs: 2, lr: 5e-3 };
  const stopped = await dpo(policy, pairs, stage, { signal: stop.signal, onProgress: () => stop.abort(), checkpoint: { dir } });
  t.same([stopped.steps, stopped.stopped], [1, true]);
  await t.rejects(dpo(policy, pairs, stage, { checkpoint: { dir } }), { code: 'CONFIG_MISMATCH', message: /began from another policy/ });
  await policy.restore(tempPath('dpo-entry'));
  const starts: number[] = [];
  const resumed = await dpo(policy, pairs, stage, { checkpoint: { dir }, onStart: (s) => starts.push(s) });
  t.same([resumed.steps, resumed.stopped, resumed.losses[0], starts], [4, false, stopped.losses[0], [1]]);
  await t.rejects(dpo(policy, pairs, { ...stage, beta: 0.2 }, { checkpoint: { dir } }), { code: 'CONFIG_MISMATCH', message: /another beta/ });
  await t.rejects(dpo(policy, pairs, {}, { checkpoint: { dir, every: 0 } }), { code: 'INVALID_ARGUMENT', message: /every/ });
  await policy.save(tempPath('not-a-stage'));
  await t.rejects(dpo(policy, pairs, {}, { checkpoint: { dir: tempPath('not-a-stage') } }), { code: 'BAD_CHECKPOINT' });
});
