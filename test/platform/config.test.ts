import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  it('has working defaults: PGlite under ./.data, port 4000, demo seed on', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, PGLITE_DIR: './.data/pglite', SEED_DEMO: true });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names every bad variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO: 'maybe', OUTBOX_POLL_MS: 'soon', JOB_RUNNER: 'sometimes' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres/);
    expect(message).toMatch(/SEED_DEMO:/);
    expect(message).toMatch(/OUTBOX_POLL_MS: must be a number of milliseconds/);
    expect(message).toMatch(/JOB_RUNNER: must be on or off/);
  });

  it('background workers: on by default, off when another process runs them', () => {
    expect(loadConfig({})).toMatchObject({ OUTBOX_WORKER: true, JOB_RUNNER: true, OUTBOX_POLL_MS: 200, JOB_QUEUE_POOL: 4 });
    expect(loadConfig({ OUTBOX_WORKER: 'off', JOB_RUNNER: 'false', OUTBOX_POLL_MS: '50' })).toMatchObject({
      OUTBOX_WORKER: false,
      JOB_RUNNER: false,
      OUTBOX_POLL_MS: 50,
    });
  });

  it('reads overrides', () => {
    expect(loadConfig({ PORT: '8080', SEED_DEMO: 'false', DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({
      PORT: 8080,
      SEED_DEMO: false,
      DATABASE_URL: 'postgres://u@h/db',
    });
  });
});
