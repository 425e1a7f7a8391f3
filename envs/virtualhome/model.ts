/**
 * The explicit-state model of a TWOSOME VirtualHome task (spec virtualhome.md §2–§6). The original runs a symbolic
 * VirtualHome graph executor; only a handful of graph facts matter, and this model tracks exactly those.
 */

/** Rooms in feature order (kitchen, bathroom, bedroom, living room); walk actions use another order (WALK_ROOM). */
export const enum Room {
  Kitchen = 0,
  Bathroom = 1,
  Bedroom = 2,
  LivingRoom = 3,
}

export const ROOM_COUNT = 4;

/** Room names as the prompts write them. */
export const ROOM_NAMES: readonly string[] = ['kitchen', 'bathroom', 'bedroom', 'living room'];

/** Destination of walk actions 0–3: living room, kitchen, bathroom, bedroom (the script's order). */
export const WALK_ROOM: readonly Room[] = [Room.LivingRoom, Room.Kitchen, Room.Bathroom, Room.Bedroom];

/**
 * One task's rules. States are small mutable records; `execute` changes them in place. The observation side
 * (offered actions, prompt, success) is a pure function of the feature bitmask, as in the original, where
 * TWOSOME's `obs2text` and the reward only read the feature vector.
 */
export interface TaskModel<S> {
  /** Action phrases in index order (interface strings). */
  readonly actions: readonly string[];
  /** Length of the feature vector. */
  readonly featureCount: number;
  initial(): S;
  copy(state: S): S;
  /**
   * Runs one script line: the observability check, then the preconditions, then the effects. Returns whether it
   * executed (the original's `succeed` flag); a failed action leaves the state unchanged.
   */
  execute(state: S, action: number): boolean;
  /** Feature vector as a bitmask: bit i is feature i. */
  features(state: S): number;
  /** Indices TWOSOME's `obs2text` offers for these features, ascending. */
  offered(features: number): number[];
  /** The observation prompt for these features, ending in "your next step is to". */
  prompt(features: number): string;
  /** Whether these features (after a step) complete the task: reward 1 and done. */
  success(features: number): boolean;
  /** Plain-JSON form of a state, and its inverse (which validates and throws EnvError on bad input). */
  encode(state: S): Record<string, unknown>;
  decode(json: unknown): S;
}

/** Bit i of a feature mask. */
export function bit(features: number, i: number): boolean {
  return ((features >>> i) & 1) === 1;
}

/** The first letter in upper case (prompt sentences start with object names). */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The room a feature mask's one-hot room bits (features 0–3) name. */
export function roomOf(features: number): Room {
  for (let r = 0; r < ROOM_COUNT; r++) if (bit(features, r)) return r;
  throw new RangeError(`feature mask ${features} names no room`);
}

/** The room sentence both tasks open with. */
export function roomSentence(room: Room): string {
  return `There are four rooms: the kitchen, the bathroom, the bedroom and the living room. You are in the ${ROOM_NAMES[room]}.`;
}
