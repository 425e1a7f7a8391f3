/** ALFWorld's six task types, by their `traj_data.json` names. */
export const TASK_TYPES = [
  'pick_and_place_simple',
  'look_at_obj_in_light',
  'pick_clean_then_place_in_recep',
  'pick_heat_then_place_in_recep',
  'pick_cool_then_place_in_recep',
  'pick_two_obj_and_place',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Env-id suffixes (`household/<suffix>`) of the task types. */
export const TASK_IDS: Record<string, TaskType> = {
  'pick-and-place': 'pick_and_place_simple',
  'look-at-in-light': 'look_at_obj_in_light',
  'clean-and-place': 'pick_clean_then_place_in_recep',
  'heat-and-place': 'pick_heat_then_place_in_recep',
  'cool-and-place': 'pick_cool_then_place_in_recep',
  'pick-two-and-place': 'pick_two_obj_and_place',
};

/** What a game asks for, in lowercase ALFRED class names (`apple`, `countertop`, `desklamp`). */
export interface TaskSpec {
  type: TaskType;
  object: string;
  /** Destination receptacle class; empty for look_at_obj_in_light. */
  parent: string;
  /** Lamp class for look_at_obj_in_light; empty otherwise. */
  toggle: string;
}

/** The transformation a task needs before placing, with the appliance class and the command verb. */
export function transformOf(type: TaskType): { verb: string; appliance: string; fact: string } | null {
  if (type === 'pick_clean_then_place_in_recep') return { verb: 'clean', appliance: 'sinkbasin', fact: 'isclean' };
  if (type === 'pick_heat_then_place_in_recep') return { verb: 'heat', appliance: 'microwave', fact: 'ishot' };
  if (type === 'pick_cool_then_place_in_recep') return { verb: 'cool', appliance: 'fridge', fact: 'iscool' };
  return null;
}

/** The task from a `traj_data.json`'s `task_type` and `pddl_params`. */
export function taskFromTrajData(traj: { task_type: string; pddl_params?: Record<string, unknown> }): TaskSpec {
  const p = traj.pddl_params ?? {};
  const lower = (k: string): string => (typeof p[k] === 'string' ? (p[k] as string).toLowerCase() : '');
  return { type: traj.task_type as TaskType, object: lower('object_target'), parent: lower('parent_target'), toggle: lower('toggle_target') };
}
