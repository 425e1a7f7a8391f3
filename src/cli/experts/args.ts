/** Options of `rl-ggml experts`. */
export interface ExpertsArgs {
  env: string;
  split: string;
  n: number;
  out: string;
  seed: number;
  dataDir?: string;
  json: boolean;
}
