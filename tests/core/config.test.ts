import { ConfigError, loadConfig } from '../../core/config.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, auth: 'on', logLevel: 'info', demo: false, idTypes: ['UIN', 'BRN', 'MRN', 'DRN'] });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.bodyLimitBytes).toBe(50 * 1024 * 1024);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://u:p@db:5432/srhub',
      REDIS_URL: 'redis://cache:6379',
      SRHUB_DATA_DIR: '/var/lib/srhub',
      LOG_LEVEL: 'warn',
      SRHUB_BODY_LIMIT: '2mb',
      SRHUB_AUTH: 'off',
      SRHUB_ID_TYPES: 'NIN, PASSPORT',
      SRHUB_DEMO: 'yes',
      SRHUB_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), // required with DATABASE_URL
    });
    expect(config.masterKey).toEqual(Buffer.alloc(32, 7));
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://u:p@db:5432/srhub',
      redisUrl: 'redis://cache:6379',
      dataDir: '/var/lib/srhub',
      logLevel: 'warn',
      bodyLimitBytes: 2 * 1024 * 1024,
      auth: 'off',
      demo: true,
      idTypes: ['UIN', 'BRN', 'MRN', 'DRN', 'NIN', 'PASSPORT'],
    });
  });

  it('names every bad variable and never echoes a URL that may hold a password', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://root:secret@db/x', LOG_LEVEL: 'loud', SRHUB_AUTH: 'maybe', SRHUB_ID_TYPES: 'ok,bad type' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.message;
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'SRHUB_AUTH', 'SRHUB_ID_TYPES']) expect(text).toContain(name);
    expect(text).not.toContain('secret');
    expect(error!.problems).toHaveLength(5);
  });

  it('refuses the reserved registry ID type as a national type', () => {
    expect(() => loadConfig({ SRHUB_ID_TYPES: 'SRID' })).toThrow(/SRID is reserved/);
  });
});
