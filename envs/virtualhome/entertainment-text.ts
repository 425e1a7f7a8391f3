/**
 * Entertainment's text side, TWOSOME's policy `obs2text` (spec virtualhome.md §4, §6): the action phrases, and the
 * offered actions and the prompt as pure functions of the feature vector.
 */
import { FunFeature, Item } from './entertainment-rules.js';
import { Room, bit, roomOf, roomSentence } from './model.js';

export const ACTIONS: readonly string[] = [
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

/** The indices TWOSOME's policy offers for these features (§4.1), ascending. Some are no-ops, as in the original. */
export function offered(f: number): number[] {
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

export function prompt(f: number): string {
  const room = roomOf(f);
  const parts = [roomSentence(room)];
  if (room === Room.Kitchen) kitchenSentences(f, parts);
  else if (room === Room.LivingRoom) livingRoomSentences(f, parts);
  else parts.push('You notice nothing.', handsSentence(f));
  parts.push(GOAL);
  return parts.join(' ');
}
