import t from 'tap';
import { PyRandom } from '../../../envs/webshop/pyrandom.js';
import { pyFloat, pyTupleRepr } from '../../../envs/webshop/pyformat.js';

// Vectors from CPython 3.11 (see the webshop spec).
t.test('seed 233 shuffle of range(12087) matches CPython', async (t) => {
  const rng = new PyRandom(233);
  const xs = Array.from({ length: 12087 }, (_, i) => i);
  rng.shuffle(xs);
  t.same(xs.slice(0, 4), [8655, 10304, 6940, 2750]);
  t.same(xs.slice(-2), [10294, 11181]);
});

t.test('seed 233 random() matches CPython', async (t) => {
  const rng = new PyRandom(233);
  t.equal(rng.random().toFixed(12), '0.682476913947');
  t.equal(rng.random().toFixed(12), '0.628320210981');
});

t.test('seed 0: sample then uniform match CPython', async (t) => {
  const rng = new PyRandom(0);
  t.same(rng.sample([10, 20, 30, 40], 2), [40, 20]);
  t.equal(rng.uniform(10, 20), 10.404843781807775);
});

t.test('large-population sample draws distinct members; big seeds and wide getrandbits work', async (t) => {
  const rng = new PyRandom(2 ** 40 + 5);
  const pop = Array.from({ length: 1000 }, (_, i) => i);
  const s = rng.sample(pop, 30);
  t.equal(new Set(s).size, 30);
  const x = rng.getrandbits(48);
  t.ok(x >= 0 && x < 2 ** 48 && Number.isInteger(x));
  t.ok(rng.randbelow(2 ** 40) < 2 ** 40);
});

t.test('Python float and tuple text', async (t) => {
  t.equal(pyFloat(100), '100.0');
  t.equal(pyFloat(19.99), '19.99');
  t.equal(pyFloat(1299), '1299.0');
  t.equal(pyFloat(0.1 + 0.2), '0.30000000000000004');
  t.equal(pyFloat(1e16), '1e+16');
  t.equal(pyFloat(1.5e17), '1.5e+17');
  t.equal(pyFloat(0.0001), '0.0001');
  t.equal(pyFloat(0.00001), '1e-05');
  t.equal(pyFloat(0), '0.0');
  t.equal(pyFloat(-2.5), '-2.5');
  t.equal(pyFloat(Infinity), 'inf');
  t.equal(pyFloat(NaN), 'nan');
  t.equal(pyTupleRepr(['color', 'red']), "('color', 'red')");
  t.equal(pyTupleRepr(['size', "men's 10"]), `('size', "men's 10")`);
  t.equal(pyTupleRepr(['a\\b', `it's "x"`]), `('a\\\\b', 'it\\'s "x"')`);
});
