import { EnvError } from '../../src/errors.js';
import type { Env, Observation, StepResult } from '../core/types.js';
import { Kitchen, type KitchenState, StepEvent } from './kitchen.js';
import { MacroController } from './macro.js';
import { HORIZON, REWARD, STEP_DISCOUNT, TASK_COUNT, type TaskConfig } from './tasks.js';
import { actionPhrases, prompt } from './text.js';

const EVENT_BONUS = [0, REWARD.subtask, REWARD.correctDelivery, REWARD.wrongDelivery] as const;

/** What `save()` returns: the whole episode state. */
export interface Snapshot {
  id: string;
  kitchen: KitchenState;
  chopCounter: number;
  t: number;
  logged: number;
  discount: number;
}

/**
 * One TWOSOME Overcooked task as an rl-ggml environment: each `step` runs one macro-action to its end.
 *
 * Returns, exactly as the original computes them:
 * - `reward` is the macro's own return R = Σ_k 0.99^k·r_k over its primitive steps (discounted inside the macro);
 * - `info.return` is the logged episode return TWOSOME reports (`info["episode"]["r"]`): G = Σ_t 0.99^t·r_t over every
 *   primitive step since reset, accumulated step by step (G += D·r, then D *= 0.99) — not re-derived from macro rewards,
 *   which would differ in the last bits;
 * - `info.length` is the primitive step count t (`info["episode"]["l"]`), `info.macroSteps` the macro's duration.
 */
export class OvercookedEnv implements Env {
  readonly id: string;
  private readonly kitchen: Kitchen;
  private readonly controller: MacroController;
  private t = 0;
  private logged = 0;
  private discount = 1;

  constructor(private readonly cfg: TaskConfig) {
    this.id = cfg.id;
    this.kitchen = new Kitchen(cfg);
    this.controller = new MacroController(this.kitchen);
  }

  reset(): Observation {
    this.kitchen.reset();
    this.controller.reset();
    this.t = 0;
    this.logged = 0;
    this.discount = 1;
    return this.observe();
  }

  step(index: number): StepResult {
    const macros = this.cfg.macros;
    if (!Number.isInteger(index) || index < 0 || index >= macros.length) {
      throw new EnvError('INVALID_ACTION', `${this.id}: action index ${index} is outside 0..${macros.length - 1}`);
    }
    const macro = macros[index];
    let n = 0;
    let macroReturn = 0;
    let d = 1;
    let done = false;
    let delivered = false;
    // The macro runs until its own rules end it; the horizon never cuts it short (quirk Q6).
    for (let ends = false; !ends; ) {
      n++;
      this.controller.decide(macro);
      ends = this.controller.ends;
      const event = this.kitchen.move(this.controller.action);
      let r: number = REWARD.stepPenalty;
      if (event !== StepEvent.None) r += EVENT_BONUS[event];
      this.logged += this.discount * r;
      this.t++;
      this.discount *= STEP_DISCOUNT;
      delivered = event === StepEvent.CorrectDelivery;
      done = delivered || this.t >= HORIZON;
      macroReturn += d * r;
      if (!ends) ends = this.controller.arrived(macro);
      d *= STEP_DISCOUNT;
    }
    const info = { macroSteps: n, return: this.logged, length: this.t, ...(done ? { success: delivered } : {}) };
    return { observation: this.observe(), reward: macroReturn, done, info };
  }

  private observe(): Observation {
    const vector = this.kitchen.vector(TASK_COUNT);
    return { prompt: prompt(this.cfg, vector), actions: actionPhrases(this.cfg, vector), valid: this.cfg.macros.map((_, i) => i), vector };
  }

  save(): Snapshot {
    return { id: this.id, kitchen: structuredClone(this.kitchen.state), chopCounter: this.controller.chopCounter, t: this.t, logged: this.logged, discount: this.discount };
  }

  load(state: unknown): void {
    const snap = state as Snapshot;
    if (!snap || snap.id !== this.id || typeof snap.kitchen !== 'object') {
      throw new EnvError('BAD_STATE', `${this.id}: not a saved state of this environment`);
    }
    this.kitchen.state = structuredClone(snap.kitchen);
    this.controller.chopCounter = snap.chopCounter;
    this.t = snap.t;
    this.logged = snap.logged;
    this.discount = snap.discount;
  }
}
