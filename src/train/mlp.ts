/**
 * The small dense networks of the from-scratch PPO baseline (CleanRL's layout): Linear → tanh → Linear → tanh →
 * Linear, orthogonal initialization with a per-layer gain and zero biases, and Adam. Plain Float64Array loops: the
 * networks are 64 wide, so this is faster than any native round trip.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from './rng.js';

interface Layer {
  inputs: number;
  outputs: number;
  /** Offsets into the parameter vector: weights [outputs × inputs] row-major, then biases. */
  w: number;
  b: number;
}

/** Activations of one batched forward pass, kept for the backward pass. */
export interface MlpTape {
  batch: number;
  /** Input of each layer (the first is the network input), then the output. */
  acts: Float64Array[];
}

export class Mlp {
  readonly layers: Layer[] = [];
  readonly params: Float64Array;
  readonly grads: Float64Array;

  /** `sizes` = [inputs, hidden..., outputs]; `gains` = the orthogonal gain of each layer. */
  constructor(
    readonly sizes: readonly number[],
    gains: readonly number[],
    rng: Rng,
  ) {
    if (gains.length !== sizes.length - 1) throw new InvalidArgumentError('BAD_MLP', 'one gain per layer is needed');
    let n = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const layer = { inputs: sizes[l], outputs: sizes[l + 1], w: n, b: n + sizes[l] * sizes[l + 1] };
      this.layers.push(layer);
      n = layer.b + layer.outputs;
    }
    this.params = new Float64Array(n);
    this.grads = new Float64Array(n);
    this.layers.forEach((layer, l) => this.params.set(orthogonal(layer.outputs, layer.inputs, gains[l], rng), layer.w));
  }

  /** Runs `batch` rows of `input` ([batch × inputs]) through the network. */
  forward(input: Float64Array, batch: number): MlpTape {
    const acts = [input];
    let x = input;
    this.layers.forEach((layer, l) => {
      const y = new Float64Array(batch * layer.outputs);
      const p = this.params;
      const last = l === this.layers.length - 1;
      for (let r = 0; r < batch; r++) {
        const xo = r * layer.inputs;
        for (let o = 0; o < layer.outputs; o++) {
          let s = p[layer.b + o];
          const wo = layer.w + o * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) s += p[wo + i] * x[xo + i];
          y[r * layer.outputs + o] = last ? s : Math.tanh(s);
        }
      }
      acts.push(y);
      x = y;
    });
    return { batch, acts };
  }

  /** The network output of a tape ([batch × outputs]). */
  static output(tape: MlpTape): Float64Array {
    return tape.acts[tape.acts.length - 1];
  }

  /** Accumulates dLoss/dparams into `grads` from dLoss/doutput ([batch × outputs]). */
  backward(tape: MlpTape, dOutput: Float64Array): void {
    let dy = dOutput;
    const p = this.params;
    const g = this.grads;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const x = tape.acts[l];
      const dx = new Float64Array(tape.batch * layer.inputs);
      for (let r = 0; r < tape.batch; r++) {
        const xo = r * layer.inputs;
        for (let o = 0; o < layer.outputs; o++) {
          const d = dy[r * layer.outputs + o];
          if (d === 0) continue;
          g[layer.b + o] += d;
          const wo = layer.w + o * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) {
            g[wo + i] += d * x[xo + i];
            dx[xo + i] += d * p[wo + i];
          }
        }
      }
      // Through the tanh that produced this layer's input (the network input has none).
      if (l > 0) for (let k = 0; k < dx.length; k++) dx[k] *= 1 - x[k] * x[k];
      dy = dx;
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}

/**
 * A [rows × cols] matrix with orthonormal rows or columns (whichever are fewer), times `gain`: the QR of a Gaussian
 * matrix with R's diagonal made positive (as torch.nn.init.orthogonal_), by modified Gram-Schmidt.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // q[c] is column c of the tall matrix.
  const q = Array.from({ length: narrow }, () => Float64Array.from({ length: tall }, () => rng.normal()));
  for (let c = 0; c < narrow; c++) {
    for (let j = 0; j < c; j++) {
      let dot = 0;
      for (let k = 0; k < tall; k++) dot += q[j][k] * q[c][k];
      for (let k = 0; k < tall; k++) q[c][k] -= dot * q[j][k];
    }
    const norm = Math.hypot(...q[c]);
    for (let k = 0; k < tall; k++) q[c][k] /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c]);
  }
  return out;
}

/** Adam (torch's form, bias-corrected) over one parameter vector. */
export class Adam {
  step = 0;
  readonly m: Float64Array;
  readonly v: Float64Array;

  constructor(
    readonly size: number,
    readonly options: { beta1?: number; beta2?: number; eps: number },
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  apply(params: Float64Array, grads: Float64Array, lr: number): void {
    const b1 = this.options.beta1 ?? 0.9;
    const b2 = this.options.beta2 ?? 0.999;
    this.step++;
    const c1 = 1 - b1 ** this.step;
    const c2 = Math.sqrt(1 - b2 ** this.step);
    for (let i = 0; i < params.length; i++) {
      this.m[i] = b1 * this.m[i] + (1 - b1) * grads[i];
      this.v[i] = b2 * this.v[i] + (1 - b2) * grads[i] * grads[i];
      params[i] -= (lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i]) / c2 + this.options.eps);
    }
  }
}

/** Scales the gradients in place so their joint L2 norm is at most `max`; returns the norm before clipping. */
export function clipGradNorm(grads: readonly Float64Array[], max: number): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  const coef = max / (norm + 1e-6);
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return norm;
}
