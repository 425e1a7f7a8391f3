/**
 * A seeded random number generator whose whole state is four 32-bit words, so a checkpoint can save it and a
 * resumed run draws exactly the numbers the uninterrupted run would have (xoshiro128**, seeded by splitmix32).
 */
import { InvalidArgumentError } from '../errors.js';

export type RngState = [number, number, number, number];

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError('BAD_SEED', `a seed must be an integer, got ${seed}`);
    // splitmix32 spreads a small seed over the four words (an all-zero state would be a fixed point).
    let x = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Next 32 random bits. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }

  /** Standard normal (Box-Muller; one draw per call, so the state stays four words). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Index drawn from the probabilities `p` (which sum to 1 up to rounding). */
  categorical(p: ArrayLike<number>): number {
    const u = this.next();
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i];
      if (u < acc) return i;
    }
    // Rounding left u above the total: take the last action with mass.
    for (let i = p.length - 1; i > 0; i--) if (p[i] > 0) return i;
    return 0;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }

  save(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  load(state: RngState): void {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new InvalidArgumentError('BAD_STATE', 'not a saved random generator state');
    }
    this.s = Uint32Array.from(state);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
