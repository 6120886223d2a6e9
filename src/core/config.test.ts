import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('uses the defaults for an empty environment (embedded mode)', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      databaseUrl: undefined,
      dataDir: undefined,
      logLevel: 'info',
      metricsPort: CONFIG_DEFAULTS.METRICS_PORT,
      gatewayPort: CONFIG_DEFAULTS.GATEWAY_PORT,
      embedding: { provider: 'local', dimension: 448 },
      maxFileBytes: CONFIG_DEFAULTS.COGO_MAX_FILE_BYTES,
      search: { vectorMemoryBytes: 2 ** 30 },
      coverageMin: { params: 70, returns: 80, fields: 80, lines: 100, declarations: 99, chunk_lines: 100 },
      llm: {
        scoreVersion: 'v1',
        healthTtlMs: 1440 * 60_000,
        firstTokenTimeoutMs: 20_000,
        vaultMasterKey: undefined,
      },
      chat: {
        answerer: 'auto',
        maxRounds: 2,
        evidenceTokens: 6000,
        intendedModel: undefined,
        execution: 'inline',
        leaseSeconds: 300,
      },
      jobs: { leaseCheckSeconds: 30 },
      index: { leaseSeconds: 900 },
      auth: { verifyJwt: true, jwtSecret: undefined },
    });
  });

  it('reads the vector scan memory budget in MiB, 0 turning the scan off, and rejects a negative one', () => {
    expect(loadConfig({ COGO_VECTOR_MEMORY_MB: '64' }).search.vectorMemoryBytes).toBe(64 * 2 ** 20);
    expect(loadConfig({ COGO_VECTOR_MEMORY_MB: '0' }).search.vectorMemoryBytes).toBe(0);
    expect(() => loadConfig({ COGO_VECTOR_MEMORY_MB: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ COGO_VECTOR_MEMORY_MB: 'lots' })).toThrow(ConfigError);
  });

  it('selects router score v2 with ROUTER_SCORE_V2 and reads the health TTL in minutes', () => {
    expect(loadConfig({ ROUTER_SCORE_V2: 'true', HEALTH_TTL_MIN: '30' }).llm).toMatchObject({
      scoreVersion: 'v2',
      healthTtlMs: 30 * 60_000,
    });
    expect(loadConfig({ ROUTER_SCORE_V2: '0' }).llm.scoreVersion).toBe('v1');
    expect(() => loadConfig({ ROUTER_SCORE_V2: 'yes' })).toThrow(/ROUTER_SCORE_V2="yes"/);
  });

  it('never shows a secret variable’s value in an error', () => {
    // A master key one byte short: invalid, and still never printed.
    const secret = Buffer.alloc(31, 7).toString('base64');
    let error: unknown;
    try {
      loadConfig({ COGO_VAULT_MASTER_KEY: secret, HEALTH_TTL_MIN: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.split('=')[0]).sort()).toEqual([
      'COGO_VAULT_MASTER_KEY',
      'HEALTH_TTL_MIN',
    ]);
    expect((error as Error).message).toContain('COGO_VAULT_MASTER_KEY=<redacted>');
    expect((error as Error).message).not.toContain(secret);
    const good = Buffer.alloc(32, 7);
    expect(loadConfig({ COGO_VAULT_MASTER_KEY: good.toString('base64') }).llm.vaultMasterKey).toBeDefined();
    expect(loadConfig({ COGO_VAULT_MASTER_KEY: good.toString('hex') }).llm.vaultMasterKey).toBeDefined();
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = loadConfig({ METRICS_PORT: '3200', KG_COVERAGE_PARAMS_MIN: '65.5', DATABASE_URL: '' });
    expect(config.metricsPort).toBe(3200);
    expect(config.coverageMin.params).toBe(65.5);
    expect(config.databaseUrl).toBeUndefined();
  });

  it('configures an OpenAI-compatible embedder and requires its URL, model and dimension', () => {
    const config = loadConfig({
      EMBEDDING_PROVIDER: 'openai-compatible',
      EMBEDDING_BASE_URL: 'http://127.0.0.1:8080/v1',
      EMBEDDING_MODEL: 'BAAI/bge-m3',
      EMBEDDING_DIMENSION: '1024',
      EMBEDDING_API_KEY: 'secret',
    });
    expect(config.embedding).toEqual({
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:8080/v1',
      apiKey: 'secret',
      model: 'BAAI/bge-m3',
      dimension: 1024,
    });
    expect(() => loadConfig({ EMBEDDING_PROVIDER: 'openai-compatible', EMBEDDING_MODEL: 'm' })).toThrow(
      /EMBEDDING_BASE_URL: required when EMBEDDING_PROVIDER=openai-compatible/,
    );
  });

  it('names every malformed variable at once instead of falling back', () => {
    let error: unknown;
    try {
      loadConfig({
        METRICS_PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        KG_COVERAGE_LINES_MIN: '101',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => i.split('=')[0]).sort();
    expect(issues).toEqual(['DATABASE_URL', 'KG_COVERAGE_LINES_MIN', 'LOG_LEVEL', 'METRICS_PORT']);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
  });
});
