import type { EnvSpec } from '../core/types.js';
import { ETO_MAX_STEPS } from './eto.js';
import { WebShopEnv, type WebShopEnvOptions } from './env.js';

export const specs: EnvSpec[] = [
  {
    id: 'webshop',
    description: "WebShop shopping (ETO's setup): search and click through a product catalog (needs dataDir)",
    actionCount: null,
    horizon: ETO_MAX_STEPS,
    optimalReturn: 1,
    create: (options?: Record<string, unknown>) => new WebShopEnv((options ?? {}) as unknown as WebShopEnvOptions),
  },
];
