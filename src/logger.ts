import { pino, type Logger } from 'pino';
import type { AppConfig } from './config.js';

/** JSON logs on stdout. */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL' | 'NODE_ENV'>): Logger {
  return pino({ level: config.NODE_ENV === 'test' ? 'silent' : config.LOG_LEVEL, base: { service: 'crm' } });
}
