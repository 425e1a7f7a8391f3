import t from 'tap';
import { gae, normalizeAdvantages } from '../../src/train/gae.js';
import { Rng } from '../../src/train/rng.js';

t.test('gae: hand-computed values with macro-step discounting, dones and the bootstrap', async (t) => {
  // One environment, 3 steps. Step 1 ends an episode. gamma 0.9, lambda 0.5.
  const r = gae({
    steps: 3, envs: 1, rewards: [1, 2, 0.5], values: [0.1, 0.2, 0.3], dones: [0, 1, 0], macroSteps: [2, 1, 3], lastValues: [0.4], gamma: 0.9, lambda: 0.5,
  });
  const d2 = 0.5 + 0.9 ** 3 * 0.4 - 0.3;
  const a2 = d2;
  const d1 = 2 - 0.2; // done: no bootstrap, no carry
  const a1 = d1;
  const d0 = 1 + 0.9 ** 2 * 0.2 - 0.1;
  const a0 = d0 + 0.9 ** 2 * 0.5 * a1;
  for (const [got, want] of [[r.advantages[0], a0], [r.advantages[1], a1], [r.advantages[2], a2], [r.returns[0], a0 + 0.1]]) t.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
});

t.test('gae: environments are independent (row-major [t * envs + i])', async (t) => {
  const two = gae({ steps: 2, envs: 2, rewards: [1, 0, 0, 1], values: [0, 0, 0, 0], dones: [0, 0, 0, 0], macroSteps: [1, 1, 1, 1], lastValues: [0, 10], gamma: 0.5, lambda: 1 });
  t.same(Array.from(two.advantages), [1, 0.5 * 1 + 0.25 * 10, 0, 1 + 0.5 * 10]);
});

t.test('normalizeAdvantages: mean 0, unbiased std 1; one sample stays finite', async (t) => {
  const n = normalizeAdvantages([1, 2, 3]);
  t.ok(Math.abs(n[0] + 1) < 1e-7 && Math.abs(n[1]) < 1e-12 && Math.abs(n[2] - 1) < 1e-7);
  t.same(normalizeAdvantages([5]), [0]);
});

t.test('Rng: deterministic, restorable, well spread', async (t) => {
  const a = new Rng(42);
  const b = new Rng(42);
  t.same([a.next(), a.nextUint32()], [b.next(), b.nextUint32()]);
  t.not(new Rng(1).next(), new Rng(2).next());
  const saved = a.save();
  const after = [a.next(), a.next(), a.normal()];
  const c = new Rng(0);
  c.load(saved);
  t.same([c.next(), c.next(), c.normal()], after);
  const xs = Array.from({ length: 20000 }, () => a.next());
  t.ok(xs.every((x) => x >= 0 && x < 1));
  t.ok(Math.abs(xs.reduce((s, x) => s + x, 0) / xs.length - 0.5) < 0.01);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30000; i++) counts[a.categorical([0.2, 0.5, 0.3])]++;
  t.ok(Math.abs(counts[1] / 30000 - 0.5) < 0.02, String(counts));
  t.equal(a.categorical([0, 0, 0]), 0, 'no mass: index 0');
  t.same(a.permutation(6).sort(), [0, 1, 2, 3, 4, 5]);
  t.throws(() => c.load([1, 2, 3] as never), /not a saved random generator state/);
  t.throws(() => new Rng(1.5), /a seed must be an integer/);
});
