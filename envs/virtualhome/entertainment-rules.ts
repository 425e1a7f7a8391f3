/**
 * Entertainment's dynamics (TWOSOME's VirtualHome-v2, spec virtualhome.md §3.2, §3.3, §5): the state, what each
 * script line does, the feature vector and the success check.
 */
import { Room, ROOM_COUNT, WALK_ROOM, bit } from './model.js';
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

export function execute(s: FunState, action: number): boolean {
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

export function features(s: FunState): number {
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

export function success(f: number): boolean {
  return (
    (f & SUCCESS_ALL) === SUCCESS_ALL &&
    (bit(f, FunFeature.CloseToMilk) || bit(f, FunFeature.MilkOnTable)) &&
    (bit(f, FunFeature.CloseToChips) || bit(f, FunFeature.ChipsOnTable))
  );
}

export const initial = (): FunState => ({
  room: Room.Kitchen,
  near: 0,
  at: [ItemAt.Origin, ItemAt.Origin],
  tag: [Room.Kitchen, Room.Kitchen],
  tvOn: false,
  sitting: false,
  onSofa: false,
  facingTv: false,
});

export function decode(json: unknown): FunState {
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

export const copy = (s: FunState): FunState => ({ ...s, at: [...s.at], tag: [...s.tag] });
