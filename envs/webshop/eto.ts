/**
 * ETO's WebShop wrapper: the agent's reply must contain "Action: " (the text after its first occurrence is the
 * action), observations after the first are prefixed "Observation:\n", and an episode ends after 10 steps with
 * reward 0 unless that step was the purchase. Conversations use ETO's layout: instruction, "OK", task turn, then
 * alternating agent and observation turns.
 */
import { INVALID_FORMAT, parseEtoAction, type ChatTurn } from '../core/chat.js';
import type { WebShopSession } from './session.js';

export const ETO_MAX_STEPS = 10;

/** The instruction turn of every conversation (rl-ggml's wording of ETO's WebShop prompt). */
export const ETO_INSTRUCTION = [
  'You are shopping on a website called WebShop, following an instruction about what to buy.',
  'Each round you receive an observation of the current page; reply with one action that moves you toward buying the right product.',
  'Two kinds of action exist:',
  '- search[keywords]: search the shop with your own keywords (available when the page has a search bar).',
  '- click[value]: click a clickable element of the page: a button, a product ID, or an option value.',
  'Click only values that appear on the page; other clicks do nothing.',
  'Reply in this format:',
  'Thought: your reasoning about what to do next',
  'Action: the action, e.g. search[blue running shoes] or click[buy now]',
].join('\n');

export interface EtoStep {
  observation: string;
  reward: number;
  done: boolean;
  steps: number;
}

export class EtoWebShop {
  private steps = 0;
  private finished = false;

  constructor(
    readonly session: WebShopSession,
    readonly maxSteps = ETO_MAX_STEPS,
  ) {}

  /** Starts goal `index`; returns the conversation prefix (instruction, "OK", task turn). */
  reset(index: number): ChatTurn[] {
    this.steps = 0;
    this.finished = false;
    const first = this.session.reset(index);
    return [
      { from: 'human', value: ETO_INSTRUCTION },
      { from: 'gpt', value: 'OK' },
      { from: 'human', value: first },
    ];
  }

  get done(): boolean {
    return this.finished;
  }

  /** One agent reply. */
  step(reply: string): EtoStep {
    const action = parseEtoAction(reply);
    let observation: string;
    let reward = 0;
    let bought = false;
    if (action === null) {
      observation = INVALID_FORMAT;
    } else {
      const r = this.session.step(action);
      observation = `Observation:\n${r.observation}`;
      reward = r.reward;
      bought = r.done;
    }
    this.steps++;
    if (bought || this.steps >= this.maxSteps) this.finished = true;
    return { observation, reward: bought ? reward : 0, done: this.finished, steps: this.steps };
  }
}
