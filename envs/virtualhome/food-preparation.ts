/**
 * Food Preparation (TWOSOME's VirtualHome-v1): heat the pancake in the microwave. Spec virtualhome.md §3.1,
 * §3.3, §4, §6. The six renamed variants (§8) run these exact rules with other object names.
 */
import { decode, execute, features, initial, success, type FoodState } from './food-rules.js';
import { PANCAKE, actionPhrases, makePrompt, offered, type FoodNaming } from './food-text.js';
import type { TaskModel } from './model.js';

/** Food Preparation's rules, with the given object names (the pancake and the microwave by default). */
export function foodPreparation(naming: FoodNaming = PANCAKE): TaskModel<FoodState> {
  return {
    actions: actionPhrases(naming),
    featureCount: 11,
    initial,
    copy: (s) => ({ ...s }),
    execute,
    features,
    offered,
    prompt: makePrompt(naming),
    success,
    encode: (s) => ({ ...s }),
    decode,
  };
}
