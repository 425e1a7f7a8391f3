import t from 'tap';
import { Adam, clipGradNorm, Mlp, orthogonal } from '../../src/train/mlp.js';
import { Rng } from '../../src/train/rng.js';

t.test('orthogonal: orthonormal rows or columns times the gain', async (t) => {
  const rng = new Rng(3);
  for (const [rows, cols] of [[6, 4], [4, 6], [5, 5]]) {
    const w = orthogonal(rows, cols, 2, rng);
    const n = Math.min(rows, cols);
    // Gram matrix of the shorter side.
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) dot += rows >= cols ? w[k * cols + a] * w[k * cols + b] : w[a * cols + k] * w[b * cols + k];
        t.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-9, `${rows}x${cols} gram[${a}][${b}] = ${dot}`);
      }
    }
  }
});

t.test('Mlp: zero biases, and backward matches finite differences', async (t) => {
  const net = new Mlp([3, 5, 4, 2], [Math.SQRT2, Math.SQRT2, 1], new Rng(7));
  t.ok(net.layers.every((l) => net.params.subarray(l.b, l.b + l.outputs).every((v) => v === 0)));
  const rng = new Rng(9);
  net.params.forEach((_, i) => (net.params[i] += 0.1 * rng.normal()));
  const x = Float64Array.from({ length: 6 }, () => rng.normal());
  const weights = [0.3, -1.1, 0.7, 0.2];
  const loss = () => {
    const y = Mlp.output(net.forward(x, 2));
    return y.reduce((a, v, k) => a + weights[k] * v * v, 0);
  };
  const tape = net.forward(x, 2);
  const y = Mlp.output(tape);
  net.zeroGrad();
  net.backward(tape, Float64Array.from(y, (v, k) => 2 * weights[k] * v));
  for (let i = 0; i < net.params.length; i += 3) {
    const keep = net.params[i];
    net.params[i] = keep + 1e-6;
    const a = loss();
    net.params[i] = keep - 1e-6;
    const b = loss();
    net.params[i] = keep;
    t.ok(Math.abs((a - b) / 2e-6 - net.grads[i]) < 1e-6, `param ${i}`);
  }
});

t.test('Adam: the first step moves each parameter by lr against its gradient sign', async (t) => {
  const adam = new Adam(2, { eps: 1e-8 });
  const p = Float64Array.from([1, 1]);
  adam.apply(p, Float64Array.from([0.5, -3]), 0.1);
  t.ok(Math.abs(p[0] - 0.9) < 1e-6 && Math.abs(p[1] - 1.1) < 1e-6, String(p));
});

t.test('clipGradNorm: joint norm over several vectors', async (t) => {
  const a = Float64Array.from([3]);
  const b = Float64Array.from([4]);
  t.equal(clipGradNorm([a, b], 10), 5);
  t.same([a[0], b[0]], [3, 4]);
  clipGradNorm([a, b], 1);
  t.ok(Math.abs(Math.hypot(a[0], b[0]) - 1) < 1e-6);
});
