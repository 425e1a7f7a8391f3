/**
 * The two TWOSOME Overcooked tasks (spec: shared/spec/overcooked.md, sections 2 and 4): a 7×7 kitchen with an open
 * 5×5 floor (rows and columns 1..5) ringed by counters. Cells are [x, y] with x the row (0 = top) and y the column.
 */
export type Cell = readonly [number, number];

export type FoodName = 'tomato' | 'lettuce' | 'onion';

/** What a macro-action does; the index of a macro in `TaskConfig.macros` is its action index. */
export type Macro =
  | { kind: 'getFood'; food: number }
  | { kind: 'getBowl' }
  | { kind: 'goToBoard'; board: number }
  | { kind: 'deliver' }
  | { kind: 'chop' };

export interface TaskConfig {
  id: string;
  /** The recipe string the original compares dish names (and, by substring, subtask foods) against. */
  task: string;
  /** Index of `task` in the original's seven-task list: the hot position of the observation's task indicator. */
  taskIndex: number;
  /** Foods in observation order, with their start counters. */
  foods: readonly { name: FoodName; start: Cell }[];
  bowlStart: Cell;
  boards: readonly Cell[];
  delivery: Cell;
  agentStart: Cell;
  macros: readonly Macro[];
  /** Default action phrases, index-aligned with `macros` (overridden per state by text.ts). */
  phrases: readonly string[];
  /** How phrases and prompts name each board. */
  boardNames: readonly string[];
  /** The target dish as the prompt's closing question describes it. */
  dish: string;
}

/** Size of the original task list the one-hot task indicator ranges over. */
export const TASK_COUNT = 7;
export const GRID = 7;
/** Primitive steps after which every further step reports done (macro-actions are not cut short). */
export const HORIZON = 200;

/** Rewards of the released launch scripts (`--env-reward 0.2 1 0.1 0.001`, negated where the script negates). */
export const REWARD = { subtask: 0.2, correctDelivery: 1, wrongDelivery: -0.1, stepPenalty: -0.001 } as const;
/** Per-primitive-step discount, fixed inside the environment (macro reward and logged return both use it). */
export const STEP_DISCOUNT = 0.99;

export const TOMATO_SALAD: TaskConfig = {
  id: 'overcooked/tomato-salad',
  task: 'tomato salad',
  taskIndex: 0,
  foods: [{ name: 'tomato', start: [0, 5] }],
  bowlStart: [6, 5],
  boards: [[1, 0]],
  delivery: [3, 0],
  agentStart: [1, 4],
  macros: [{ kind: 'getFood', food: 0 }, { kind: 'getBowl' }, { kind: 'goToBoard', board: 0 }, { kind: 'deliver' }, { kind: 'chop' }],
  phrases: ['pick up the tomato', 'take the bowl', 'walk to the cutting board', 'serve nothing', 'chop nothing'],
  boardNames: ['cutting board'],
  dish: 'a bowl containing only chopped tomato',
};

export const TOMATO_LETTUCE_SALAD: TaskConfig = {
  id: 'overcooked/tomato-lettuce-salad',
  task: 'lettuce-tomato salad',
  taskIndex: 3,
  foods: [
    { name: 'tomato', start: [0, 5] },
    { name: 'lettuce', start: [1, 6] },
    { name: 'onion', start: [2, 6] },
  ],
  bowlStart: [6, 5],
  boards: [
    [1, 0],
    [2, 0],
  ],
  delivery: [3, 0],
  agentStart: [1, 4],
  macros: [
    { kind: 'getFood', food: 0 },
    { kind: 'getFood', food: 1 },
    { kind: 'getFood', food: 2 },
    { kind: 'getBowl' },
    { kind: 'goToBoard', board: 0 },
    { kind: 'goToBoard', board: 1 },
    { kind: 'deliver' },
    { kind: 'chop' },
  ],
  phrases: [
    'pick up the tomato',
    'pick up the lettuce',
    'pick up the onion',
    'take the empty bowl',
    'walk to the first cutting board',
    'walk to the second cutting board',
    'serve nothing',
    'chop nothing',
  ],
  boardNames: ['first cutting board', 'second cutting board'],
  dish: 'a bowl containing only chopped tomato and lettuce',
};
