import { pino, type Logger } from 'pino';
import type { AppConfig } from './config.js';

/** JSON logs on stdout. */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL' | 'NODE_ENV'>): Logger {
  return pino({
    level:
      config.NODE_ENV === 'test' && !process.env.TEST_LOG_LEVEL ? 'silent' : ((process.env.TEST_LOG_LEVEL as never) ?? config.LOG_LEVEL),
    base: { service: 'crm' },
  });
}
