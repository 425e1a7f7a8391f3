/** Room kinds of the generated games. */
export type RoomKind = 'kitchen' | 'livingroom' | 'bedroom' | 'bathroom';

export interface ReceptacleClass {
  name: string;
  /** Whether instances have doors (some instances are generated without, as in ALFRED's cabinets). */
  openable: boolean;
  /** How many instances a room may hold, [min, max]. */
  count: [number, number];
  rooms: RoomKind[];
}

export interface ObjectClass {
  name: string;
  rooms: RoomKind[];
  /** Receptacle classes it can be in, most likely first (the expert's search prior). */
  places: string[];
  props: ('clean' | 'heat' | 'cool' | 'slice' | 'container' | 'toggle' | 'fixed')[];
}

const K: RoomKind = 'kitchen';
const L: RoomKind = 'livingroom';
const B: RoomKind = 'bedroom';
const T: RoomKind = 'bathroom';

export const RECEPTACLES: ReceptacleClass[] = [
  { name: 'Cabinet', openable: true, count: [2, 9], rooms: [K, T, L] },
  { name: 'CounterTop', openable: false, count: [1, 3], rooms: [K, T] },
  { name: 'Drawer', openable: true, count: [1, 6], rooms: [K, B, L, T] },
  { name: 'Fridge', openable: true, count: [1, 1], rooms: [K] },
  { name: 'Microwave', openable: true, count: [1, 1], rooms: [K] },
  { name: 'SinkBasin', openable: false, count: [1, 2], rooms: [K, T] },
  { name: 'StoveBurner', openable: false, count: [2, 4], rooms: [K] },
  { name: 'CoffeeMachine', openable: false, count: [1, 1], rooms: [K] },
  { name: 'Toaster', openable: false, count: [1, 1], rooms: [K] },
  { name: 'GarbageCan', openable: false, count: [1, 1], rooms: [K, L, B, T] },
  { name: 'DiningTable', openable: false, count: [1, 2], rooms: [K, L] },
  { name: 'Shelf', openable: false, count: [1, 4], rooms: [K, L, B, T] },
  { name: 'Sofa', openable: false, count: [1, 1], rooms: [L] },
  { name: 'ArmChair', openable: false, count: [1, 2], rooms: [L, B] },
  { name: 'CoffeeTable', openable: false, count: [1, 1], rooms: [L] },
  { name: 'SideTable', openable: false, count: [1, 3], rooms: [L, B] },
  { name: 'TVStand', openable: false, count: [1, 1], rooms: [L] },
  { name: 'Dresser', openable: false, count: [1, 1], rooms: [B, L] },
  { name: 'Bed', openable: false, count: [1, 1], rooms: [B] },
  { name: 'Desk', openable: false, count: [1, 2], rooms: [B] },
  { name: 'Safe', openable: true, count: [1, 1], rooms: [B] },
  { name: 'LaundryHamper', openable: false, count: [1, 1], rooms: [B] },
  { name: 'Toilet', openable: false, count: [1, 1], rooms: [T] },
  { name: 'BathtubBasin', openable: false, count: [1, 1], rooms: [T] },
  { name: 'TowelHolder', openable: false, count: [1, 2], rooms: [T] },
  { name: 'HandTowelHolder', openable: false, count: [1, 1], rooms: [T] },
  { name: 'ToiletPaperHanger', openable: false, count: [1, 1], rooms: [T] },
];

const FOOD = ['CounterTop', 'DiningTable', 'Fridge', 'Microwave', 'SinkBasin', 'GarbageCan', 'Shelf', 'Cabinet'];
const DISH = ['Cabinet', 'CounterTop', 'DiningTable', 'SinkBasin', 'Microwave', 'Fridge', 'Shelf', 'CoffeeMachine'];
const TOOL = ['Drawer', 'CounterTop', 'DiningTable', 'SinkBasin', 'Cabinet'];
const SMALL = ['SideTable', 'Desk', 'Dresser', 'Drawer', 'Shelf', 'CoffeeTable', 'DiningTable', 'Sofa', 'ArmChair', 'Bed', 'TVStand', 'Safe', 'GarbageCan'];
const BATH = ['CounterTop', 'Cabinet', 'Shelf', 'Toilet', 'BathtubBasin', 'SinkBasin', 'Drawer', 'GarbageCan'];

export const OBJECTS: ObjectClass[] = [
  { name: 'Apple', rooms: [K], places: FOOD, props: ['clean', 'heat', 'cool', 'slice'] },
  { name: 'Potato', rooms: [K], places: FOOD, props: ['clean', 'heat', 'cool', 'slice'] },
  { name: 'Tomato', rooms: [K], places: FOOD, props: ['clean', 'heat', 'cool', 'slice'] },
  { name: 'Lettuce', rooms: [K], places: FOOD, props: ['clean', 'cool', 'slice'] },
  { name: 'Egg', rooms: [K], places: FOOD, props: ['clean', 'heat', 'cool'] },
  { name: 'Bread', rooms: [K], places: ['CounterTop', 'DiningTable', 'Fridge', 'Microwave', 'Cabinet', 'GarbageCan'], props: ['heat', 'cool', 'slice'] },
  { name: 'Mug', rooms: [K], places: ['CoffeeMachine', ...DISH], props: ['clean', 'heat', 'cool', 'container'] },
  { name: 'Cup', rooms: [K], places: DISH, props: ['clean', 'heat', 'cool', 'container'] },
  { name: 'Bowl', rooms: [K, L], places: DISH, props: ['clean', 'heat', 'cool', 'container'] },
  { name: 'Plate', rooms: [K, L], places: DISH, props: ['clean', 'heat', 'cool', 'container'] },
  { name: 'Pan', rooms: [K], places: ['StoveBurner', 'CounterTop', 'Cabinet', 'SinkBasin', 'Fridge', 'DiningTable'], props: ['clean', 'cool', 'container'] },
  { name: 'Pot', rooms: [K], places: ['StoveBurner', 'CounterTop', 'Cabinet', 'SinkBasin', 'Fridge', 'DiningTable'], props: ['clean', 'cool', 'container'] },
  { name: 'Knife', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'ButterKnife', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'Fork', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'Spoon', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'Spatula', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'Ladle', rooms: [K], places: TOOL, props: ['clean'] },
  { name: 'SaltShaker', rooms: [K], places: ['CounterTop', 'Cabinet', 'Shelf', 'DiningTable', 'Drawer'], props: [] },
  { name: 'PepperShaker', rooms: [K], places: ['CounterTop', 'Cabinet', 'Shelf', 'DiningTable', 'Drawer'], props: [] },
  { name: 'DishSponge', rooms: [K, T], places: ['SinkBasin', 'CounterTop', 'Cabinet', 'Drawer', 'GarbageCan'], props: ['clean'] },
  { name: 'WineBottle', rooms: [K], places: ['Fridge', 'CounterTop', 'DiningTable', 'Cabinet', 'Shelf', 'GarbageCan'], props: ['cool'] },
  { name: 'Book', rooms: [L, B], places: SMALL, props: [] },
  { name: 'CellPhone', rooms: [L, B], places: SMALL, props: [] },
  { name: 'CreditCard', rooms: [L, B], places: SMALL, props: [] },
  { name: 'KeyChain', rooms: [L, B], places: SMALL, props: [] },
  { name: 'Pen', rooms: [L, B], places: SMALL, props: [] },
  { name: 'Pencil', rooms: [L, B], places: SMALL, props: [] },
  { name: 'RemoteControl', rooms: [L, B], places: SMALL, props: [] },
  { name: 'Watch', rooms: [L, B], places: SMALL, props: [] },
  { name: 'Pillow', rooms: [L, B], places: ['Sofa', 'ArmChair', 'Bed'], props: [] },
  { name: 'Laptop', rooms: [L, B], places: ['Desk', 'Bed', 'Sofa', 'ArmChair', 'CoffeeTable', 'SideTable', 'DiningTable'], props: [] },
  { name: 'AlarmClock', rooms: [B], places: ['SideTable', 'Desk', 'Dresser', 'Shelf'], props: [] },
  { name: 'CD', rooms: [B], places: SMALL, props: [] },
  { name: 'Statue', rooms: [L], places: ['Shelf', 'CoffeeTable', 'SideTable', 'DiningTable', 'TVStand', 'Dresser'], props: [] },
  { name: 'Vase', rooms: [L], places: ['Shelf', 'CoffeeTable', 'SideTable', 'DiningTable', 'TVStand', 'Dresser'], props: [] },
  { name: 'Box', rooms: [L], places: ['Sofa', 'ArmChair', 'CoffeeTable', 'SideTable', 'DiningTable', 'Dresser', 'TVStand'], props: [] },
  { name: 'Newspaper', rooms: [L], places: ['Sofa', 'ArmChair', 'CoffeeTable', 'SideTable', 'DiningTable', 'GarbageCan'], props: [] },
  { name: 'DeskLamp', rooms: [L, B], places: ['SideTable', 'Desk', 'Dresser'], props: ['toggle', 'fixed'] },
  { name: 'SoapBar', rooms: [T], places: BATH, props: ['clean'] },
  { name: 'Cloth', rooms: [T], places: BATH, props: ['clean'] },
  { name: 'SoapBottle', rooms: [T, K], places: ['CounterTop', 'Cabinet', 'Shelf', 'Toilet', 'Drawer', 'GarbageCan'], props: [] },
  { name: 'SprayBottle', rooms: [T], places: ['CounterTop', 'Cabinet', 'Shelf', 'Toilet', 'Drawer', 'GarbageCan'], props: [] },
  { name: 'ToiletPaper', rooms: [T], places: ['ToiletPaperHanger', 'CounterTop', 'Cabinet', 'Shelf', 'Toilet', 'Drawer', 'GarbageCan'], props: [] },
  { name: 'HandTowel', rooms: [T], places: ['HandTowelHolder', 'CounterTop', 'Cabinet'], props: [] },
  { name: 'Towel', rooms: [T], places: ['TowelHolder', 'BathtubBasin', 'Cabinet'], props: [] },
  { name: 'Candle', rooms: [T], places: ['CounterTop', 'Cabinet', 'Shelf', 'Toilet', 'BathtubBasin', 'Drawer'], props: [] },
  { name: 'ScrubBrush', rooms: [T], places: ['Toilet', 'CounterTop', 'Cabinet', 'GarbageCan'], props: [] },
  { name: 'TissueBox', rooms: [T, L, B], places: ['CounterTop', 'Shelf', 'Toilet', 'SideTable', 'Dresser', 'CoffeeTable', 'Desk'], props: [] },
];

export const OBJECT_BY_NAME = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));
export const RECEPTACLE_BY_NAME = new Map(RECEPTACLES.map((r) => [r.name.toLowerCase(), r]));
