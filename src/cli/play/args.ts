/** Options of `rl-ggml play`, shared by every environment family's player. */
export interface PlayArgs {
  env?: string;
  json: boolean;
  /** TWOSOME environments: a fixed comma-separated action index sequence. */
  actions?: string;
  /** TWOSOME environments: a JSONL file of `{env, actions}` episodes to replay. */
  replay?: string;
  /** Household: generated-game seed. */
  seed?: number;
  /** Household: a `.tw-pddl` game file to play. */
  game?: string;
  /** Household / WebShop: a file of commands, one per line. */
  commands?: string;
  /** WebShop: the data folder. */
  dataDir?: string;
  /** WebShop: goal index. */
  goal?: number;
  /** Household: split of the generated games (train|seen|unseen). */
  split?: string;
}
