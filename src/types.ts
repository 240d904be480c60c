import type { Context } from 'hono';
import type { Logger } from './lib/logger.js';
import type { Services } from './services.js';

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    services: Services;
    /** This response's CSP nonce: inline scripts must carry it (src/http/security-headers.ts). */
    cspNonce: string;
  };
};

export type AppContext = Context<AppEnv>;
