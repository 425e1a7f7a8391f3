/** A short household expert trajectory in ETO's format: two exchanges, with thoughts and actions. */
export const mugTrajectory = {
  id: 'a',
  conversations: [
    { from: 'human' as const, value: 'You are in a kitchen. Your task is to put a clean mug on the table.' },
    { from: 'gpt' as const, value: 'Thought: I need a mug.\nAction: go to countertop 1' },
    { from: 'human' as const, value: 'Observation: On the countertop 1, you see a mug 1.' },
    { from: 'gpt' as const, value: 'Thought: There it is.\nAction: take mug 1 from countertop 1' },
  ],
};
