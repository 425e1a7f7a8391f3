/**
 * Entertainment (TWOSOME's VirtualHome-v2): bring the chips and the milk to the living room, turn on the TV and
 * sit on the sofa. Spec virtualhome.md §3.2, §3.3, §4, §6.
 */
import { copy, decode, execute, features, initial, success, type FunState } from './entertainment-rules.js';
import { ACTIONS, offered, prompt } from './entertainment-text.js';
import type { TaskModel } from './model.js';

export const entertainment: TaskModel<FunState> = {
  actions: ACTIONS,
  featureCount: 21,
  initial,
  copy,
  execute,
  features,
  offered,
  prompt,
  success,
  encode: (s) => copy(s) as unknown as Record<string, unknown>,
  decode,
};
