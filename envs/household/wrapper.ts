import { INVALID_FORMAT, parseEtoAction, type ChatEnv, type ChatStep, type ChatTurn } from '../core/chat.js';
import type { GameOutcome, TwPddlGame } from './game.js';

/** ETO's ALFWorld step limit. */
export const ETO_MAX_STEPS = 40;

/** The instruction turn of the conversations (the action space in the agent's words). */
export const HOUSEHOLD_INSTRUCTION = `You are an agent in a simulated home. You will first see a description of the room and the task you must accomplish. Each turn you receive an observation of what happened; reply with a short reasoning step and exactly one command, in this format:
Thought: <your reasoning>
Action: <one command>

Commands you can use ({obj} is an object, {recep} a receptacle, both named as in the observations):
- go to {recep}
- open {recep} / close {recep}
- take {obj} from {recep}
- put {obj} in/on {recep}
- clean {obj} with {recep} / heat {obj} with {recep} / cool {obj} with {recep}
- use {obj}
- examine {obj} / examine {recep}
- inventory
- look
An observation of "Nothing happens." means the command was not possible; try something else.`;

/** ETO's first task message: the reset text without its banner paragraph, the rest joined by single newlines. */
export function etoTaskText(resetFeedback: string): string {
  return resetFeedback.split('\n\n').slice(1).join('\n');
}

/** ETO's observation turn: the feedback without a leading `You arrive at loc N. `, prefixed with `Observation: `. */
export function etoObservation(feedback: string): string {
  const text = feedback.startsWith('You arrive at loc ') ? feedback.slice(feedback.indexOf('. ') + 2) : feedback;
  return `Observation: ${text}`;
}

/** ETO's reward: 1 once the game is won. */
export function etoReward(outcome: GameOutcome): number {
  return outcome.won ? 1 : 0;
}

/**
 * A game behind ETO's ALFWorld wrapper, as a conversation: instruction, "OK", the task text; each reply's action (the
 * text after "Action: ") goes to the game; the episode ends when the game is won (reward 1) or after 40 replies.
 */
export class EtoHousehold implements ChatEnv {
  private steps = 0;

  constructor(
    private readonly game: TwPddlGame,
    private readonly maxSteps = ETO_MAX_STEPS,
  ) {}

  reset(): ChatTurn[] {
    this.steps = 0;
    return [
      { from: 'human', value: HOUSEHOLD_INSTRUCTION },
      { from: 'gpt', value: 'OK' },
      { from: 'human', value: etoTaskText(this.game.reset().feedback) },
    ];
  }

  step(reply: string): ChatStep {
    const action = parseEtoAction(reply);
    let observation = INVALID_FORMAT;
    let reward = 0;
    if (action !== null) {
      const outcome = this.game.step(action);
      reward = etoReward(outcome);
      observation = etoObservation(outcome.feedback);
    }
    this.steps++;
    return { observation, reward, done: reward > 0 || this.steps >= this.maxSteps };
  }
}
