/**
 * The public plugin SDK: the only kernel module that plugins (built-in and third-party) import.
 */
export * from './manifest.js';
