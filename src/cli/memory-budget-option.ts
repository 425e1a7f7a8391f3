/** The `--memory-budget` flag of the commands that train on conversations (sft, eto). */
import type { Options } from 'yargs';

export const memoryBudgetOption: Options = {
  type: 'number',
  describe:
    "device memory (bytes) one forward/backward may take by the engine's estimate; a batch beyond it runs as several, accumulating the same gradient, and a conversation beyond it alone recomputes its layers in the backward pass (slower, same gradient) [default: 2 GiB, or a quarter of the device's free memory where more]",
};
