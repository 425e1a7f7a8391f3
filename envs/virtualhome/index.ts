/**
 * TWOSOME's VirtualHome tasks (spec virtualhome.md): Food Preparation, Entertainment, and the eight unseen
 * generalization tasks (§8): six renamed Food Preparation variants and two crossover tests.
 */
import type { EnvSpec } from '../core/types.js';
import { entertainment } from './entertainment.js';
import { HORIZON, VirtualHomeEnv, successReturn } from './env.js';
import { foodPreparation } from './food-preparation.js';
import { PANCAKE, type FoodNaming } from './food-text.js';
import type { TaskModel } from './model.js';

/** Shortest successes (§5): 6 steps for Food Preparation, 11 for Entertainment. */
const FOOD_OPTIMUM = successReturn(6);
const FUN_OPTIMUM = successReturn(11);

function spec<S>(id: string, description: string, model: TaskModel<S>, optimalReturn: number): EnvSpec {
  return {
    id,
    description,
    actionCount: model.actions.length,
    horizon: HORIZON,
    optimalReturn,
    create: () => new VirtualHomeEnv(id, model),
  };
}

/** The six renamed variants: Food Preparation's environment with other object names (POAD's test set). */
export const FOOD_VARIANTS: Readonly<Record<string, FoodNaming>> = {
  cheese: { ...PANCAKE, item: 'cheese', someItem: 'some cheese' },
  hamburger: { ...PANCAKE, item: 'hamburger', someItem: 'a hamburger' },
  'apple-pie': { ...PANCAKE, item: 'apple pie', someItem: 'an apple pie' },
  pizza: { ...PANCAKE, item: 'pizza', someItem: 'a pizza' },
  'washing-plate': {
    item: 'dishes',
    someItem: 'some dishes',
    plural: true,
    appliance: 'dishwasher',
    someAppliance: 'a dishwasher',
    goalVerb: 'wash',
  },
  laundry: {
    item: 'clothes',
    someItem: 'some clothes',
    plural: true,
    appliance: 'washing machine',
    someAppliance: 'a washing machine',
    goalVerb: 'wash',
  },
};

const food = foodPreparation();

export const specs: EnvSpec[] = [
  spec('virtualhome/food-preparation', 'VirtualHome-v1: heat the pancake in the microwave', food, FOOD_OPTIMUM),
  spec('virtualhome/entertainment', 'VirtualHome-v2: snacks and TV on the sofa', entertainment, FUN_OPTIMUM),
  ...Object.entries(FOOD_VARIANTS).map(([name, naming]) =>
    spec(
      `virtualhome/${name}`,
      `unseen: Food Preparation with the ${naming.item} and the ${naming.appliance}`,
      foodPreparation(naming),
      FOOD_OPTIMUM,
    ),
  ),
  // The two crossover tests have no code in the original repositories; the likely reading (§8) is each task
  // evaluated with a policy trained on the other. They are the unchanged environments under their own ids.
  spec('virtualhome/crossover-entertainment', 'unseen: Entertainment, for a policy trained on Food Preparation', entertainment, FUN_OPTIMUM),
  spec('virtualhome/crossover-food-preparation', 'unseen: Food Preparation, for a policy trained on Entertainment', food, FOOD_OPTIMUM),
];
