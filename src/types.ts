import type { Context } from 'hono';
import type { Logger } from './lib/logger.js';
import type { Services } from './services.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    services: Services;
  };
};

export type AppContext = Context<AppEnv>;
