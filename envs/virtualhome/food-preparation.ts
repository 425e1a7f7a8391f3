/**
 * Food Preparation (TWOSOME's VirtualHome-v1): heat the pancake in the microwave. Spec virtualhome.md §3.1,
 * §3.3, §4, §6. The six renamed variants (§8) run these exact rules with other object names.
 */
import { Room, ROOM_COUNT, WALK_ROOM, bit, capitalize, roomOf, roomSentence, type TaskModel } from './model.js';
import { asRecord, readBool, readIndex } from './state-json.js';

/** Where the pancake is. */
export const enum PancakeAt {
  Table = 0,
  Hand = 1,
  Microwave = 2,
}

export interface FoodState {
  room: Room;
  nearPancake: boolean;
  nearMicrowave: boolean;
  pancake: PancakeAt;
  /** The pancake's room tag: set on grab, and while carried, to the room left by each walk (it lags one walk). */
  pancakeTag: Room;
  microwaveOpen: boolean;
}

/** Action indices. */
export const FoodAction = {
  WalkToPancake: 4,
  WalkToMicrowave: 5,
  Grab: 6,
  PutIn: 7,
  Open: 8,
  Close: 9,
} as const;

/** Feature indices (§3.3). */
export const FoodFeature = {
  InKitchen: 0,
  SeePancake: 4,
  CloseToPancake: 5,
  HoldPancake: 6,
  SeeMicrowave: 7,
  CloseToMicrowave: 8,
  MicrowaveOpen: 9,
  PancakeInMicrowave: 10,
} as const;

const BASE_ACTIONS = [
  'walk to the living room',
  'walk to the kitchen',
  'walk to the bathroom',
  'walk to the bedroom',
  'walk to the pancake',
  'walk to the microwave',
  'grab the pancake',
  'put the pancake in the microwave',
  'open the microwave',
  'close the microwave',
];

/** How a variant names its two objects, in its action phrases and prompt. */
export interface FoodNaming {
  /** Replaces "pancake". */
  item: string;
  /** The item with an indefinite article or quantifier ("a pancake", "some cheese"). */
  someItem: string;
  /** Whether the item takes plural verbs ("the dishes are"). */
  plural: boolean;
  /** Replaces "microwave". */
  appliance: string;
  someAppliance: string;
  /** What the goal asks to do with the item in the appliance. */
  goalVerb: string;
}

export const PANCAKE: FoodNaming = {
  item: 'pancake',
  someItem: 'a pancake',
  plural: false,
  appliance: 'microwave',
  someAppliance: 'a microwave',
  goalVerb: 'heat up',
};

const walk = (s: FoodState, dest: Room, nearPancake: boolean, nearMicrowave: boolean): void => {
  const old = s.room;
  s.room = dest;
  s.nearPancake = nearPancake;
  s.nearMicrowave = nearMicrowave;
  if (s.pancake === PancakeAt.Hand) {
    s.nearPancake = true;
    s.pancakeTag = old;
  }
};

const pancakeVisible = (s: FoodState): boolean =>
  s.pancake === PancakeAt.Hand || (s.pancakeTag === s.room && !(s.pancake === PancakeAt.Microwave && !s.microwaveOpen));

/** The executor's "close to" is looser than `near`: an object inside the microwave shares closeness with it. */
const closeToPancake = (s: FoodState): boolean => s.nearPancake || (s.pancake === PancakeAt.Microwave && s.nearMicrowave);
const closeToMicrowave = (s: FoodState): boolean => s.nearMicrowave || (s.pancake === PancakeAt.Microwave && s.nearPancake);

/** The validity check: every object the script line names must be observable (rooms always are). */
function observable(s: FoodState, action: number): boolean {
  switch (action) {
    case FoodAction.WalkToPancake:
    case FoodAction.Grab:
      return pancakeVisible(s);
    case FoodAction.PutIn:
      return pancakeVisible(s) && s.room === Room.Kitchen;
    case FoodAction.WalkToMicrowave:
    case FoodAction.Open:
    case FoodAction.Close:
      return s.room === Room.Kitchen;
    default:
      return true;
  }
}

function execute(s: FoodState, action: number): boolean {
  if (!observable(s, action)) return false;
  switch (action) {
    case FoodAction.WalkToPancake:
      walk(s, s.pancakeTag, true, s.pancake === PancakeAt.Microwave);
      return true;
    case FoodAction.WalkToMicrowave:
      walk(s, Room.Kitchen, s.pancake === PancakeAt.Microwave, true);
      return true;
    case FoodAction.Grab: {
      if (s.pancake === PancakeAt.Hand || !closeToPancake(s)) return false;
      const fromMicrowave = s.pancake === PancakeAt.Microwave;
      if (fromMicrowave && !s.microwaveOpen) return false;
      s.pancake = PancakeAt.Hand;
      s.pancakeTag = s.room;
      s.nearPancake = true;
      if (fromMicrowave) s.nearMicrowave = true;
      return true;
    }
    case FoodAction.PutIn:
      if (s.pancake !== PancakeAt.Hand || !closeToMicrowave(s) || !s.microwaveOpen) return false;
      s.pancake = PancakeAt.Microwave;
      s.nearMicrowave = true;
      return true;
    case FoodAction.Open:
    case FoodAction.Close: {
      const opening = action === FoodAction.Open;
      if (!closeToMicrowave(s) || s.microwaveOpen === opening) return false;
      s.microwaveOpen = opening;
      return true;
    }
    default:
      walk(s, WALK_ROOM[action], false, false);
      return true;
  }
}

function features(s: FoodState): number {
  const kitchen = s.room === Room.Kitchen;
  const see = pancakeVisible(s);
  let f = 1 << s.room;
  if (see) f |= 1 << FoodFeature.SeePancake;
  if (see && s.nearPancake) f |= 1 << FoodFeature.CloseToPancake;
  if (s.pancake === PancakeAt.Hand) f |= 1 << FoodFeature.HoldPancake;
  if (kitchen) {
    f |= 1 << FoodFeature.SeeMicrowave;
    if (s.nearMicrowave) f |= 1 << FoodFeature.CloseToMicrowave;
    if (s.microwaveOpen) f |= 1 << FoodFeature.MicrowaveOpen;
    if (see && s.pancake === PancakeAt.Microwave) f |= 1 << FoodFeature.PancakeInMicrowave;
  }
  return f;
}

function offered(f: number): number[] {
  if (bit(f, Room.Bathroom)) return [0, 1, 3];
  if (bit(f, Room.Bedroom)) return [0, 1, 2];
  if (bit(f, Room.LivingRoom)) return [1, 2, 3];
  if (!bit(f, FoodFeature.SeePancake)) return [0, 2, 3];
  const nearMicrowave = bit(f, FoodFeature.CloseToMicrowave);
  if (bit(f, FoodFeature.HoldPancake)) return nearMicrowave ? [0, 2, 3, 4, 7, 8, 9] : [0, 2, 3, 4, 5];
  const nearPancake = bit(f, FoodFeature.CloseToPancake);
  if (nearPancake && nearMicrowave) return bit(f, FoodFeature.MicrowaveOpen) ? [0, 2, 3, 8, 9] : [0, 2, 3, 9];
  if (nearPancake) return [0, 2, 3, 5, 6];
  if (nearMicrowave) return [0, 2, 3, 4, 8, 9];
  return [0, 2, 3, 4, 5];
}

/** The prompt (§6): room, what is seen, hands and proximity, the microwave door, then the goal. */
function makePrompt(n: FoodNaming): (f: number) => string {
  const item = `the ${n.item}`;
  const appliance = `the ${n.appliance}`;
  const itemIs = n.plural ? 'are' : 'is';
  const grabbed = `You have grabbed ${item}.`;
  const emptyHanded = 'You are not grabbing anything.';
  const goal = `To ${n.goalVerb} ${item} in ${appliance}, your next step is to`;
  return (f) => {
    const parts = [roomSentence(roomOf(f))];
    const hold = bit(f, FoodFeature.HoldPancake);
    if (!bit(f, Room.Kitchen)) {
      parts.push('You notice nothing useful.', hold ? grabbed : emptyHanded);
    } else {
      const see = bit(f, FoodFeature.SeePancake);
      parts.push(see ? `You notice ${n.someItem} and ${n.someAppliance}.` : `${capitalize(item)} ${itemIs} in ${appliance}.`);
      const nearItem = bit(f, FoodFeature.CloseToPancake);
      const nearAppliance = bit(f, FoodFeature.CloseToMicrowave);
      if (hold) {
        parts.push(grabbed, `${capitalize(appliance)} is ${nearAppliance ? '' : 'not '}close to you.`);
      } else if (nearItem && !nearAppliance) {
        parts.push(emptyHanded, `${capitalize(item)} ${itemIs} close to you.`);
      } else if (nearAppliance && !nearItem) {
        parts.push(emptyHanded, `${capitalize(appliance)} is close to you.`);
      } else if (!nearItem && !nearAppliance) {
        parts.push(emptyHanded, `${capitalize(item)} and ${appliance} are not close to you.`);
      }
      const door = !see ? 'closed' : bit(f, FoodFeature.MicrowaveOpen) ? 'open' : 'not open';
      parts.push(`${capitalize(appliance)} is ${door}.`);
    }
    parts.push(goal);
    return parts.join(' ');
  };
}

const encode = (s: FoodState): Record<string, unknown> => ({ ...s });

function decode(json: unknown): FoodState {
  const r = asRecord(json, 'food preparation state');
  return {
    room: readIndex(r, 'room', ROOM_COUNT),
    nearPancake: readBool(r, 'nearPancake'),
    nearMicrowave: readBool(r, 'nearMicrowave'),
    pancake: readIndex(r, 'pancake', 3),
    pancakeTag: readIndex(r, 'pancakeTag', ROOM_COUNT),
    microwaveOpen: readBool(r, 'microwaveOpen'),
  };
}

/** Food Preparation's rules, with the given object names (the pancake and the microwave by default). */
export function foodPreparation(naming: FoodNaming = PANCAKE): TaskModel<FoodState> {
  return {
    actions: BASE_ACTIONS.map((p) => p.replaceAll('pancake', naming.item).replaceAll('microwave', naming.appliance)),
    featureCount: 11,
    initial: () => ({
      room: Room.Kitchen,
      nearPancake: false,
      nearMicrowave: false,
      pancake: PancakeAt.Table,
      pancakeTag: Room.Kitchen,
      microwaveOpen: false,
    }),
    copy: (s) => ({ ...s }),
    execute,
    features,
    offered,
    prompt: makePrompt(naming),
    // The original's check: in the kitchen and the pancake not seen (it is inside the closed microwave).
    success: (f) => bit(f, FoodFeature.InKitchen) && !bit(f, FoodFeature.SeePancake),
    encode,
    decode,
  };
}
