/**
 * A tabular stand-in for the native LLM policy (tests only): each (prompt, action) pair has a trainable "summed
 * log-prob" and each prompt a trainable value, updated by plain SGD with per-group grad-norm clipping. It follows the
 * `LlmPolicy` contract (forward → backward → step) and records the calls the trainer makes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../../src/model.js';
import type { Normalization, PromptScores, ScoreItem } from '../../src/scoring.js';
import type { LlmPolicy, PolicyBackward, PolicyForward, StepOptions, StepReport } from '../../src/training/policy.js';
import type { PolicyFactory } from '../../src/train/twosome.js';

export class TabularPolicy implements LlmPolicy {
  readonly lora = { rank: 8, alpha: 16, targets: ['q' as const, 'v' as const] };
  readonly valueHead = { hidden: [1024, 512], features: 'base' as const };
  logits = new Map<string, number>();
  values = new Map<string, number>();
  private gLogits = new Map<string, number>();
  private gValues = new Map<string, number>();
  private last: ScoreItem[] = [];
  readonly calls = {
    forward: 0,
    evaluate: 0,
    backward: 0,
    zeroGrad: 0,
    actorSteps: [] as number[],
    criticSteps: [] as number[],
    backwards: [] as PolicyBackward[],
    valueBackwards: [] as number[][],
  };
  private lastValuePrompts: string[] = [];

  static key(prompt: string, action: string): string {
    return `${prompt}\u0000${action}`;
  }

  async forward(items: readonly ScoreItem[], options: { normalization?: Normalization } = {}): Promise<PolicyForward> {
    this.calls.forward++;
    this.last = items.map((i) => ({ prompt: i.prompt, actions: [...i.actions] }));
    return this.outputs(items, options);
  }

  async evaluate(items: readonly ScoreItem[], options: { normalization?: Normalization } = {}): Promise<PolicyForward> {
    this.calls.evaluate++;
    return this.outputs(items, options);
  }

  private outputs(items: readonly ScoreItem[], options: { normalization?: Normalization }): PolicyForward {
    const mode = options.normalization ?? 'word';
    const scores: PromptScores[] = items.map((item) => {
      const actions = item.actions.map((action) => {
        const words = action.trim().split(/\s+/).length;
        const tokens = words + 1;
        const logprob = -words + (this.logits.get(TabularPolicy.key(item.prompt, action)) ?? 0);
        const score = mode === 'word' ? logprob / words : mode === 'token' ? logprob / tokens : logprob;
        return { action, logprob, tokenIds: [], tokens, words, score, probability: 0 };
      });
      const max = Math.max(...actions.map((a) => a.score));
      const z = actions.reduce((s, a) => s + Math.exp(a.score - max), 0);
      for (const a of actions) a.probability = Math.exp(a.score - max) / z;
      return { prompt: item.prompt, actions };
    });
    return { scores, values: items.map((i) => this.values.get(i.prompt) ?? 0) };
  }

  async backward(grad: PolicyBackward): Promise<void> {
    this.calls.backward++;
    this.calls.backwards.push(structuredClone(grad));
    this.last.forEach((item, n) => {
      item.actions.forEach((a, k) => {
        const key = TabularPolicy.key(item.prompt, a);
        this.gLogits.set(key, (this.gLogits.get(key) ?? 0) + grad.dLogprob[n][k]);
      });
      if (grad.dValue) this.gValues.set(item.prompt, (this.gValues.get(item.prompt) ?? 0) + grad.dValue[n]);
    });
  }

  /** What `trainingBytes` charges per item (0: never split). */
  bytesPerItem = 0;

  trainingBytes(items: readonly ScoreItem[]): number {
    return items.length * this.bytesPerItem;
  }

  async forwardValues(prompts: readonly string[]): Promise<number[]> {
    this.lastValuePrompts = [...prompts];
    return prompts.map((p) => this.values.get(p) ?? 0);
  }

  async backwardValues(dValue: readonly number[]): Promise<void> {
    this.calls.valueBackwards.push([...dValue]);
    this.lastValuePrompts.forEach((p, n) => this.gValues.set(p, (this.gValues.get(p) ?? 0) + dValue[n]));
  }

  zeroGrad(): void {
    this.calls.zeroGrad++;
    this.gLogits.clear();
    this.gValues.clear();
  }

  async step(options: StepOptions): Promise<StepReport> {
    const apply = (params: Map<string, number>, grads: Map<string, number>, lr: number, maxNorm?: number) => {
      const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + g * g, 0));
      const scale = maxNorm !== undefined && norm > maxNorm ? maxNorm / norm : 1;
      for (const [k, g] of grads) params.set(k, (params.get(k) ?? 0) - lr * scale * g);
      return norm;
    };
    let actorGradNorm = 0;
    let criticGradNorm = 0;
    if (options.actor) {
      this.calls.actorSteps.push(options.actor.lr);
      actorGradNorm = apply(this.logits, this.gLogits, options.actor.lr, options.actor.maxGradNorm);
    }
    if (options.critic) {
      this.calls.criticSteps.push(options.critic.lr);
      criticGradNorm = apply(this.values, this.gValues, options.critic.lr, options.critic.maxGradNorm);
    }
    return { actorGradNorm, criticGradNorm, skipped: false };
  }

  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tabular.json'), JSON.stringify({ logits: [...this.logits], values: [...this.values] }));
  }

  static load(dir: string): TabularPolicy {
    const p = new TabularPolicy();
    const saved = JSON.parse(readFileSync(join(dir, 'tabular.json'), 'utf8')) as { logits: [string, number][]; values: [string, number][] };
    p.logits = new Map(saved.logits);
    p.values = new Map(saved.values);
    return p;
  }

  async dispose(): Promise<void> {}
}

/** A factory of tabular policies that keeps every policy it made (the last is the live one). */
export function tabularFactory(): PolicyFactory & { made: TabularPolicy[] } {
  const made: TabularPolicy[] = [];
  return {
    made,
    create: async (_model: Model) => {
      made.push(new TabularPolicy());
      return made[made.length - 1];
    },
    load: async (_model: Model, dir: string) => {
      made.push(TabularPolicy.load(dir));
      return made[made.length - 1];
    },
  };
}
