/**
 * Entertainment (TWOSOME's VirtualHome-v2): bring the chips and the milk to the living room, turn on the TV and
 * sit on the sofa. Spec virtualhome.md §3.2, §3.3, §4, §6.
 */
import { Room, ROOM_COUNT, WALK_ROOM, bit, roomOf, roomSentence, type TaskModel } from './model.js';
import { asRecord, readBool, readIndex, readIndexArray } from './state-json.js';

/** The two grabbable items, as indices into the item arrays. */
export const enum Item {
  Chips = 0,
  Milk = 1,
}

/** Where an item is: where it started (in the kitchen), in a hand, or on the coffee table. */
export const enum ItemAt {
  Origin = 0,
  Hand = 1,
  Table = 2,
}

/** Bits of the `near` set. */
export const Near = {
  Chips: 1,
  Milk: 2,
  Tv: 4,
  Sofa: 8,
  CoffeeTable: 16,
} as const;
const NEAR_ALL = 31;

export interface FunState {
  room: Room;
  /** The objects the agent is near (Near bits). */
  near: number;
  /** Per item (Item index). */
  at: ItemAt[];
  /** Per item: its room tag, set on grab and, while carried, to the room each walk leaves (it lags one walk). */
  tag: Room[];
  tvOn: boolean;
  /** The agent's sitting posture. */
  sitting: boolean;
  /** The "on the sofa" relation: set by sitting down and never cleared. */
  onSofa: boolean;
  /** Set by sitting down; cleared only by a walk. */
  facingTv: boolean;
}

/** Action indices. */
export const FunAction = {
  WalkToChips: 4,
  WalkToMilk: 5,
  WalkToCoffeeTable: 6,
  WalkToTv: 7,
  WalkToSofa: 8,
  GrabChips: 9,
  GrabMilk: 10,
  PutChips: 11,
  PutMilk: 12,
  TvOn: 13,
  TvOff: 14,
  Sit: 15,
  StandUp: 16,
} as const;

/** Feature indices (§3.3); each item has four features starting at ITEM_FEATURES[item]. */
export const FunFeature = {
  InLivingRoom: 3,
  SeeChips: 4,
  CloseToChips: 5,
  HoldChips: 6,
  ChipsOnTable: 7,
  SeeMilk: 8,
  CloseToMilk: 9,
  HoldMilk: 10,
  MilkOnTable: 11,
  SeeTv: 12,
  CloseToTv: 13,
  FacingTv: 14,
  TvOn: 15,
  SeeSofa: 16,
  CloseToSofa: 17,
  OnSofa: 18,
  SeeCoffeeTable: 19,
  CloseToCoffeeTable: 20,
} as const;
const ITEM_FEATURES = [FunFeature.SeeChips, FunFeature.SeeMilk];
const ITEM_NEAR = [Near.Chips, Near.Milk];

const ACTIONS: readonly string[] = [
  'walk to the living room',
  'walk to the kitchen',
  'walk to the bathroom',
  'walk to the bedroom',
  'walk to the chips',
  'walk to the milk',
  'walk to the coffee table',
  'walk to the TV',
  'walk to the sofa',
  'grab the chips',
  'grab the milk',
  'put the chips on the coffee table',
  'put the milk on the coffee table',
  'turn on the TV',
  'turn off the TV',
  'sit on the sofa',
  'stand up from the sofa',
];

const held = (s: FunState): number => (s.at[0] === ItemAt.Hand ? 1 : 0) + (s.at[1] === ItemAt.Hand ? 1 : 0);

const visible = (s: FunState, item: Item): boolean => s.at[item] === ItemAt.Hand || s.tag[item] === s.room;

/** The executor's "close to": an item on the coffee table shares closeness with the table, and vice versa. */
const closeToItem = (s: FunState, item: Item): boolean =>
  (s.near & ITEM_NEAR[item]) !== 0 || (s.at[item] === ItemAt.Table && (s.near & Near.CoffeeTable) !== 0);
const closeToTable = (s: FunState): boolean =>
  (s.near & Near.CoffeeTable) !== 0 ||
  (s.at[Item.Chips] === ItemAt.Table && (s.near & Near.Chips) !== 0) ||
  (s.at[Item.Milk] === ItemAt.Table && (s.near & Near.Milk) !== 0);

/** WALK (§3.0): a new room and `near` set; carried items stay near and take the room left as their tag. */
function walk(s: FunState, dest: Room, near: number): void {
  const old = s.room;
  s.room = dest;
  s.near = near;
  s.facingTv = false;
  for (let item = 0; item < 2; item++) {
    if (s.at[item] === ItemAt.Hand) {
      s.near |= ITEM_NEAR[item];
      s.tag[item] = old;
    }
  }
}

/** The validity check: every object the script line names must be observable (rooms always are). */
function observable(s: FunState, action: number): boolean {
  switch (action) {
    case FunAction.WalkToChips:
    case FunAction.GrabChips:
      return visible(s, Item.Chips);
    case FunAction.WalkToMilk:
    case FunAction.GrabMilk:
      return visible(s, Item.Milk);
    case FunAction.PutChips:
      return visible(s, Item.Chips) && s.room === Room.LivingRoom;
    case FunAction.PutMilk:
      return visible(s, Item.Milk) && s.room === Room.LivingRoom;
    case FunAction.WalkToCoffeeTable:
    case FunAction.WalkToTv:
    case FunAction.WalkToSofa:
    case FunAction.TvOn:
    case FunAction.TvOff:
    case FunAction.Sit:
      return s.room === Room.LivingRoom;
    default:
      return true;
  }
}

const WALK_TARGET: Record<number, number> = {
  [FunAction.WalkToCoffeeTable]: Near.CoffeeTable,
  [FunAction.WalkToTv]: Near.Tv,
  [FunAction.WalkToSofa]: Near.Sofa,
};

function execute(s: FunState, action: number): boolean {
  if (!observable(s, action)) return false;
  switch (action) {
    case FunAction.WalkToChips:
    case FunAction.WalkToMilk: {
      if (s.sitting) return false;
      const item = action - FunAction.WalkToChips;
      walk(s, s.tag[item], ITEM_NEAR[item] | (s.at[item] === ItemAt.Table ? Near.CoffeeTable : 0));
      return true;
    }
    case FunAction.WalkToCoffeeTable:
    case FunAction.WalkToTv:
    case FunAction.WalkToSofa:
      if (s.sitting) return false;
      walk(s, Room.LivingRoom, WALK_TARGET[action]);
      return true;
    case FunAction.GrabChips:
    case FunAction.GrabMilk: {
      const item = action - FunAction.GrabChips;
      if (s.at[item] === ItemAt.Hand || !closeToItem(s, item) || held(s) >= 2) return false;
      const fromTable = s.at[item] === ItemAt.Table;
      s.at[item] = ItemAt.Hand;
      s.tag[item] = s.room;
      s.near |= ITEM_NEAR[item];
      if (fromTable) s.near |= Near.CoffeeTable;
      return true;
    }
    case FunAction.PutChips:
    case FunAction.PutMilk: {
      const item = action - FunAction.PutChips;
      if (s.at[item] !== ItemAt.Hand || !closeToTable(s)) return false;
      s.at[item] = ItemAt.Table;
      s.near |= Near.CoffeeTable;
      return true;
    }
    case FunAction.TvOn:
    case FunAction.TvOff: {
      const on = action === FunAction.TvOn;
      // Switching needs a free hand.
      if ((s.near & Near.Tv) === 0 || held(s) >= 2 || s.tvOn === on) return false;
      s.tvOn = on;
      return true;
    }
    case FunAction.Sit:
      if ((s.near & Near.Sofa) === 0 || s.sitting) return false;
      s.sitting = true;
      s.onSofa = true;
      s.facingTv = true;
      return true;
    case FunAction.StandUp:
      // Clears the posture only: "on the sofa" and facing the TV stay.
      if (!s.sitting) return false;
      s.sitting = false;
      return true;
    default:
      if (s.sitting) return false;
      walk(s, WALK_ROOM[action], 0);
      return true;
  }
}

function features(s: FunState): number {
  const living = s.room === Room.LivingRoom;
  let f = 1 << s.room;
  for (let item = 0; item < 2; item++) {
    if (!visible(s, item)) continue; // a held item is always visible
    const base = ITEM_FEATURES[item];
    f |= 1 << base;
    if ((s.near & ITEM_NEAR[item]) !== 0) f |= 1 << (base + 1);
    if (s.at[item] === ItemAt.Hand) f |= 1 << (base + 2);
    if (s.at[item] === ItemAt.Table && living) f |= 1 << (base + 3);
  }
  if (living) {
    f |= (1 << FunFeature.SeeTv) | (1 << FunFeature.SeeSofa) | (1 << FunFeature.SeeCoffeeTable);
    if (s.near & Near.Tv) f |= 1 << FunFeature.CloseToTv;
    if (s.facingTv) f |= 1 << FunFeature.FacingTv;
    if (s.tvOn) f |= 1 << FunFeature.TvOn;
    if (s.near & Near.Sofa) f |= 1 << FunFeature.CloseToSofa;
    if (s.onSofa) f |= 1 << FunFeature.OnSofa;
    if (s.near & Near.CoffeeTable) f |= 1 << FunFeature.CloseToCoffeeTable;
  }
  return f;
}

/** Features of the success check (§5), all required; plus one of (close, on table) per item. */
const SUCCESS_ALL =
  (1 << FunFeature.InLivingRoom) | (1 << FunFeature.FacingTv) | (1 << FunFeature.TvOn) | (1 << FunFeature.OnSofa);

function success(f: number): boolean {
  return (
    (f & SUCCESS_ALL) === SUCCESS_ALL &&
    (bit(f, FunFeature.CloseToMilk) || bit(f, FunFeature.MilkOnTable)) &&
    (bit(f, FunFeature.CloseToChips) || bit(f, FunFeature.ChipsOnTable))
  );
}

function offered(f: number): number[] {
  if (bit(f, Room.Bathroom)) return [0, 1, 3];
  if (bit(f, Room.Bedroom)) return [0, 1, 2];
  const holdChips = bit(f, FunFeature.HoldChips);
  const holdMilk = bit(f, FunFeature.HoldMilk);
  if (bit(f, Room.Kitchen)) {
    const seeChips = bit(f, FunFeature.SeeChips);
    const seeMilk = bit(f, FunFeature.SeeMilk);
    const nearChips = bit(f, FunFeature.CloseToChips);
    const nearMilk = bit(f, FunFeature.CloseToMilk);
    if (seeChips && seeMilk) {
      if (holdChips && holdMilk) return [0, 2, 3];
      if (holdChips) return nearMilk ? [0, 2, 3, 10] : [0, 2, 3, 5];
      if (holdMilk) return nearChips ? [0, 2, 3, 9] : [0, 2, 3, 4];
      if (nearChips && nearMilk) return [0, 2, 3, 9, 10];
      if (nearChips) return [0, 2, 3, 5, 9];
      if (nearMilk) return [0, 2, 3, 4, 10];
      return [0, 2, 3, 4, 5];
    }
    // With one item seen and not close, the original offers the walk to the *other*, unseen item (a no-op).
    if (seeChips) return holdChips ? [0, 2, 3] : nearChips ? [0, 2, 3, 9] : [0, 2, 3, 5];
    if (seeMilk) return holdMilk ? [0, 2, 3] : nearMilk ? [0, 2, 3, 10] : [0, 2, 3, 4];
    return [0, 2, 3];
  }
  // Living room: at most one of the coffee table, the TV and the sofa is close in any reachable state.
  if (bit(f, FunFeature.CloseToCoffeeTable)) {
    if (holdChips && holdMilk) return [1, 2, 3, 7, 8, 11, 12];
    if (holdMilk) return bit(f, FunFeature.ChipsOnTable) ? [1, 2, 3, 7, 8] : [1, 2, 3, 7, 8, 12];
    if (holdChips) return bit(f, FunFeature.MilkOnTable) ? [1, 2, 3, 7, 8] : [1, 2, 3, 7, 8, 11];
    return [1, 2, 3];
  }
  const tvOn = bit(f, FunFeature.TvOn);
  if (bit(f, FunFeature.CloseToTv)) return tvOn ? [1, 2, 3, 6, 8] : [1, 2, 3, 6, 8, 13, 14];
  if (bit(f, FunFeature.CloseToSofa)) {
    if (bit(f, FunFeature.OnSofa)) return [1, 2, 3];
    return tvOn ? [1, 2, 3, 6, 7, 15, 16] : [1, 2, 3, 6, 7];
  }
  return [1, 2, 3, 6, 7, 8];
}

const BOTH_IN_HANDS = 'You have the chips and the milk in your hands.';
const EMPTY_HANDED = 'You are not grabbing anything.';
const GRABBED = ['You have grabbed the chips.', 'You have grabbed the milk.'];

/** What the hands hold, as rooms other than the kitchen describe it. */
function handsSentence(f: number): string {
  const chips = bit(f, FunFeature.HoldChips);
  const milk = bit(f, FunFeature.HoldMilk);
  if (chips && milk) return BOTH_IN_HANDS;
  if (chips) return GRABBED[Item.Chips];
  if (milk) return GRABBED[Item.Milk];
  return EMPTY_HANDED;
}

/** Near a living-room object: the hands sentence also tells which item already lies on the coffee table. */
function handsNearFurniture(f: number): string | null {
  const chips = bit(f, FunFeature.HoldChips);
  const milk = bit(f, FunFeature.HoldMilk);
  if (chips && milk) return BOTH_IN_HANDS;
  if (milk) {
    return bit(f, FunFeature.ChipsOnTable) ? 'The chips are on the coffee table and the milk is in your hand.' : GRABBED[Item.Milk];
  }
  if (chips) {
    return bit(f, FunFeature.MilkOnTable) ? 'The milk is on the coffee table and the chips are in your hand.' : GRABBED[Item.Chips];
  }
  return null;
}

/** Kitchen sentences about the items (§6). */
function kitchenSentences(f: number, parts: string[]): void {
  const see = [bit(f, FunFeature.SeeChips), bit(f, FunFeature.SeeMilk)];
  const hold = [bit(f, FunFeature.HoldChips), bit(f, FunFeature.HoldMilk)];
  const near = [bit(f, FunFeature.CloseToChips), bit(f, FunFeature.CloseToMilk)];
  const closeNotGrabbed = ['The chips are close to you, but you have not grabbed them.', 'The milk is close to you, but you have not grabbed it.'];
  const notClose = ['The chips are not close to you.', 'The milk is not close to you.'];
  if (see[0] && see[1]) {
    parts.push('You notice chips and milk.');
    if (hold[0] && hold[1]) {
      parts.push(BOTH_IN_HANDS);
    } else if (hold[0] || hold[1]) {
      const other = hold[0] ? Item.Milk : Item.Chips;
      parts.push(near[other] ? closeNotGrabbed[other] : notClose[other], GRABBED[1 - other]);
    } else {
      if (near[0] && near[1]) parts.push('They are close to you, but you have not grabbed them.');
      else if (near[0] || near[1]) parts.push(closeNotGrabbed[near[0] ? Item.Chips : Item.Milk]);
      else parts.push('They are not close to you.');
      parts.push(EMPTY_HANDED);
    }
  } else if (see[0] || see[1]) {
    const item = see[0] ? Item.Chips : Item.Milk;
    parts.push(item === Item.Chips ? 'You only notice chips.' : 'You only notice milk.');
    parts.push(hold[item] ? GRABBED[item] : near[item] ? closeNotGrabbed[item] : notClose[item]);
  } else {
    parts.push('You notice nothing.');
  }
}

/** Living-room sentences: the furniture, which piece is close, and the hands (§6). */
function livingRoomSentences(f: number, parts: string[]): void {
  parts.push('You notice a coffee table, a TV and a sofa.');
  const tvOn = bit(f, FunFeature.TvOn) ? 'The TV is on.' : null;
  let hands: string | null;
  if (bit(f, FunFeature.CloseToCoffeeTable)) {
    parts.push('The coffee table is close to you.');
    hands = handsNearFurniture(f) ?? EMPTY_HANDED;
  } else if (bit(f, FunFeature.CloseToTv)) {
    parts.push('The TV is close to you.');
    hands = handsNearFurniture(f);
    if (hands !== null && tvOn !== null) parts.push(tvOn);
  } else if (bit(f, FunFeature.CloseToSofa)) {
    parts.push(bit(f, FunFeature.OnSofa) ? 'You are sitting on the sofa.' : 'The sofa is close to you.');
    hands = handsNearFurniture(f);
    if (hands !== null && tvOn !== null) parts.push(tvOn);
  } else {
    parts.push('They are not close to you.');
    hands = handsSentence(f);
  }
  if (hands !== null) parts.push(hands);
}

const GOAL = 'To enjoy the chips and the milk while watching TV, your next step is to';

function prompt(f: number): string {
  const room = roomOf(f);
  const parts = [roomSentence(room)];
  if (room === Room.Kitchen) kitchenSentences(f, parts);
  else if (room === Room.LivingRoom) livingRoomSentences(f, parts);
  else parts.push('You notice nothing.', handsSentence(f));
  parts.push(GOAL);
  return parts.join(' ');
}

function decode(json: unknown): FunState {
  const r = asRecord(json, 'entertainment state');
  return {
    room: readIndex(r, 'room', ROOM_COUNT),
    near: readIndex(r, 'near', NEAR_ALL + 1),
    at: readIndexArray(r, 'at', 2, 3),
    tag: readIndexArray(r, 'tag', 2, ROOM_COUNT),
    tvOn: readBool(r, 'tvOn'),
    sitting: readBool(r, 'sitting'),
    onSofa: readBool(r, 'onSofa'),
    facingTv: readBool(r, 'facingTv'),
  };
}

const copy = (s: FunState): FunState => ({ ...s, at: [...s.at], tag: [...s.tag] });

export const entertainment: TaskModel<FunState> = {
  actions: ACTIONS,
  featureCount: 21,
  initial: () => ({
    room: Room.Kitchen,
    near: 0,
    at: [ItemAt.Origin, ItemAt.Origin],
    tag: [Room.Kitchen, Room.Kitchen],
    tvOn: false,
    sitting: false,
    onSofa: false,
    facingTv: false,
  }),
  copy,
  execute,
  features,
  offered,
  prompt,
  success,
  encode: (s) => copy(s) as unknown as Record<string, unknown>,
  decode,
};
