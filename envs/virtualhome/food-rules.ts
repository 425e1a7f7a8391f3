/**
 * Food Preparation's dynamics (TWOSOME's VirtualHome-v1, spec virtualhome.md §3.1, §3.3, §5): the state, what
 * each script line does, the feature vector and the success check.
 */
import { Room, ROOM_COUNT, WALK_ROOM, bit } from './model.js';
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

export function execute(s: FoodState, action: number): boolean {
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

export function features(s: FoodState): number {
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

/** The original's check: in the kitchen and the pancake not seen (it is inside the closed microwave). */
export const success = (f: number): boolean => bit(f, FoodFeature.InKitchen) && !bit(f, FoodFeature.SeePancake);

export const initial = (): FoodState => ({
  room: Room.Kitchen,
  nearPancake: false,
  nearMicrowave: false,
  pancake: PancakeAt.Table,
  pancakeTag: Room.Kitchen,
  microwaveOpen: false,
});

export function decode(json: unknown): FoodState {
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
