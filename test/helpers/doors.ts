/**
 * A user's own conversational task, for tests of `eto({ taskOf })` and the CLI's --import (which loads this module:
 * it exports `taskOf`): one reply per episode, and the key is behind the door of the task's colour.
 */
import type { ChatTask } from '../../envs/chat-tasks.js';
import { parseEtoAction } from '../../envs/core/chat.js';
import type { Trajectory } from '../../src/training/conversation.js';

export function doorTask(color: string): ChatTask {
  return {
    id: `doors/${color}`,
    open: () => ({
      reset: () => [
        { from: 'human', value: "One door hides the key. Answer with 'Action: open <colour> door'." },
        { from: 'gpt', value: 'OK' },
        { from: 'human', value: `Key door: ${color}` },
      ],
      step: (reply) => ({ observation: 'Observation: locked.', reward: parseEtoAction(reply) === `open ${color} door` ? 1 : 0, done: true }),
    }),
  };
}

export const doorTasks = ['red', 'blue', 'green'].map(doorTask);

/** The expert's trajectory of each task: it opens the right door. */
export const doorExperts: Trajectory[] = doorTasks.map((task) => ({
  id: task.id,
  conversations: [...task.open().reset(), { from: 'gpt', value: `Action: open ${task.id.slice('doors/'.length)} door` }],
}));

/** What `--import` uses: the task of a `doors/<colour>` id, undefined for any other. */
export function taskOf(id: string): ChatTask | undefined {
  return doorTasks.find((task) => task.id === id);
}
