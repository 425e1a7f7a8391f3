/**
 * The conversational interface of ETO's environments (household/ALFWorld, WebShop): the agent reads a conversation
 * and replies in free text (`Thought: ...\nAction: ...`); the environment parses the action out of the reply and
 * answers with an observation turn. Rewards are the environment's own (1 for a won household game, WebShop's score).
 */

export interface ChatTurn {
  from: 'human' | 'gpt';
  value: string;
}

export interface ChatStep {
  /** The next human turn (already prefixed the environment's way, e.g. `Observation: ...`). */
  observation: string;
  /** The episode's reward so far (the final reward once `done`). */
  reward: number;
  done: boolean;
}

export interface ChatEnv {
  /** Starts the episode: the conversation's opening turns (instruction, "OK", task). */
  reset(): ChatTurn[];
  /** One agent reply. */
  step(reply: string): ChatStep;
}

/** ETO's action parsing: the text after the first "Action: " of the trimmed reply, or null when there is none. */
export function parseEtoAction(reply: string): string | null {
  const text = reply.trim();
  const at = text.indexOf('Action: ');
  return at < 0 ? null : text.slice(at + 'Action: '.length);
}

/** The observation ETO's wrappers give a reply without "Action: ". */
export const INVALID_FORMAT = "Observation: Invalid format. The input must contains 'Action: '";
