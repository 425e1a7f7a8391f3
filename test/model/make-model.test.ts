// Generated weights are one splitmix64 stream in file order (Box-Muller normals, uniform rope factors), whatever the
// number of threads that make-model splits each tensor's rows among: checked against a TypeScript re-derivation of
// the stream, at tensors whose rows the workers split, reading the file with node-llama-cpp's GGUF parser.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import { makeModel } from '../../src/make-model.js';
import { tempPath } from '../helpers/models.js';

const MASK = (1n << 64n) - 1n;
const STEP = 0x9e3779b97f4a7c15n;

/** The generator of native/rng.h, positioned `skip` draws after seeding with `seed`. */
function stream(seed: bigint, skip: bigint) {
  let s = (seed * 0x2545f4914f6cdd1dn + 1n + skip * STEP) & MASK;
  const next = () => {
    s = (s + STEP) & MASK;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  };
  const uniform = () => (Number(next() >> 11n) + 0.5) / 2 ** 53;
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

t.test('make-model writes the seed\'s stream in file order, split among threads or not', async (t) => {
  const E = 64, F = 160, V = 32000, seed = 7n;
  const out = tempPath('stream.gguf');
  await makeModel({ out, layers: 1, embd: E, ff: F, type: 'f32', ropeFreqs: true, seed: Number(seed) });
  const info = await readGgufFileInfo(out);
  const file = readFileSync(out);
  const values = (name: string) => {
    const tensor = info.fullTensorInfo!.find((x) => x.name === name)!;
    const n = tensor.dimensions.reduce((a: number, d) => a * Number(d), 1);
    return new Float32Array(file.buffer, file.byteOffset + Number(tensor.fileOffset), n);
  };
  const check = (name: string, skip: number, expected: (g: ReturnType<typeof stream>) => number) => {
    const got = values(name);
    const g = stream(seed, BigInt(skip));
    let worst = 0;
    for (const x of got) worst = Math.max(worst, Math.abs(x - expected(g)));
    t.ok(worst < 1e-6, `${name}: ${got.length} values, max |difference| ${worst}`);
  };
  // Draws before each tensor: two per normal value, one per uniform (rope factors, last in the file).
  const normalsBefore = { q: V * E + E, down: V * E + E + 4 * E * E + E + 2 * E * F };
  check('blk.0.attn_q.weight', 2 * normalsBefore.q, (g) => (2 / Math.sqrt(E)) * g.normal());
  check('blk.0.ffn_down.weight', 2 * normalsBefore.down, (g) => (1 / Math.sqrt(F)) * g.normal());
  const normalsBeforeRope = normalsBefore.down + F * E + E + V * E;
  check('rope_freqs.weight', 2 * normalsBeforeRope, (g) => 1 + 0.5 * g.uniform());
});
