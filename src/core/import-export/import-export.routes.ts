import type { FastifyInstance } from 'fastify';
import type { AppOptions } from '../../http/app.js';

/** CSV import and export over HTTP (streaming bodies). */
export function registerImportExportRoutes(_http: FastifyInstance, _options: AppOptions): void {}
