import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Defaults, in one place beside the schema. Percentages are 0-100. */
export const CONFIG_DEFAULTS = {
  LOG_LEVEL: 'info',
  METRICS_PORT: 3101,
  GATEWAY_PORT: 3100,
  EMBEDDING_PROVIDER: 'local',
  // 320 hashed features and the shipped code model's 128 (src/search/local-embedder.ts).
  EMBEDDING_DIMENSION_LOCAL: 448,
  COGO_MAX_FILE_BYTES: 1_000_000,
  // 1 GiB holds about 430k vectors of 448 floats, with room for added rows (src/search/vector-load.ts).
  COGO_VECTOR_MEMORY_MB: 1024,
  KG_COVERAGE_PARAMS_MIN: 70,
  KG_COVERAGE_RETURNS_MIN: 80,
  KG_COVERAGE_FIELDS_MIN: 80,
  KG_COVERAGE_LINES_MIN: 100,
  KG_COVERAGE_DECLARATIONS_MIN: 99,
  KG_COVERAGE_CHUNK_LINES_MIN: 100,
  ROUTER_SCORE_V2: false,
  HEALTH_TTL_MIN: 1440,
  LLM_FIRST_TOKEN_TIMEOUT_MS: 20_000,
  CHAT_ANSWERER: 'auto',
  CHAT_MAX_ROUNDS: 2,
  CHAT_EVIDENCE_TOKENS: 6000,
  CHAT_EXECUTION: 'inline',
  CHAT_LEASE_SECONDS: 300,
  JOBS_LEASE_CHECK_SECONDS: 30,
  INDEX_LEASE_SECONDS: 900,
} as const;

/** `inline`: the gateway answers in its own process; `queue`: it enqueues a job for `cogo worker chat`. */
export const CHAT_EXECUTIONS = ['inline', 'queue'] as const;

/** `auto`: the LLM when the router has a deployment for service `chat`, else the built-in answerer. */
export const CHAT_ANSWERERS = ['auto', 'builtin', 'llm'] as const;

// Variables whose values never appear in an error message.
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'EMBEDDING_API_KEY',
  'COGO_VAULT_MASTER_KEY',
  'SUPABASE_JWT_SECRET',
]);

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0'].includes(v), 'must be true, false, 1 or 0')
  .transform((v) => v === 'true' || v === '1');

const percent = z.coerce.number().min(0).max(100);

/** `local`: the built-in offline embedder; `openai-compatible`: any `/v1/embeddings` server. */
export const EMBEDDING_PROVIDERS = ['local', 'openai-compatible'] as const;

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  COGO_DATA_DIR: z.string().trim().min(1).optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default(CONFIG_DEFAULTS.LOG_LEVEL),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(CONFIG_DEFAULTS.METRICS_PORT),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).default(CONFIG_DEFAULTS.GATEWAY_PORT),
  EMBEDDING_PROVIDER: z.enum(EMBEDDING_PROVIDERS).default(CONFIG_DEFAULTS.EMBEDDING_PROVIDER),
  EMBEDDING_BASE_URL: z.url().optional(),
  EMBEDDING_API_KEY: z.string().optional(),
  EMBEDDING_MODEL: z.string().trim().min(1).optional(),
  EMBEDDING_DIMENSION: z.coerce.number().int().positive().max(16_000).optional(),
  COGO_MAX_FILE_BYTES: z.coerce.number().int().positive().default(CONFIG_DEFAULTS.COGO_MAX_FILE_BYTES),
  COGO_VECTOR_MEMORY_MB: z.coerce
    .number()
    .min(0)
    .max(1_048_576)
    .default(CONFIG_DEFAULTS.COGO_VECTOR_MEMORY_MB),
  KG_COVERAGE_PARAMS_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_PARAMS_MIN),
  KG_COVERAGE_RETURNS_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_RETURNS_MIN),
  KG_COVERAGE_FIELDS_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_FIELDS_MIN),
  KG_COVERAGE_LINES_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_LINES_MIN),
  KG_COVERAGE_DECLARATIONS_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_DECLARATIONS_MIN),
  KG_COVERAGE_CHUNK_LINES_MIN: percent.default(CONFIG_DEFAULTS.KG_COVERAGE_CHUNK_LINES_MIN),
  ROUTER_SCORE_V2: flag.optional(),
  HEALTH_TTL_MIN: z.coerce.number().positive().default(CONFIG_DEFAULTS.HEALTH_TTL_MIN),
  LLM_FIRST_TOKEN_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(CONFIG_DEFAULTS.LLM_FIRST_TOKEN_TIMEOUT_MS),
  COGO_VAULT_MASTER_KEY: z
    .string()
    .trim()
    .refine(
      (v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, 'base64').length === 32,
      'must be 32 bytes as 64 hex digits or base64',
    )
    .optional(),
  // JWT checks on router-select and key-vault; `false` is development mode (the seed's verify_jwt: false).
  CHAT_ANSWERER: z.enum(CHAT_ANSWERERS).default(CONFIG_DEFAULTS.CHAT_ANSWERER),
  CHAT_MAX_ROUNDS: z.coerce.number().int().min(0).max(10).default(CONFIG_DEFAULTS.CHAT_MAX_ROUNDS),
  CHAT_EVIDENCE_TOKENS: z.coerce
    .number()
    .int()
    .min(200)
    .max(200_000)
    .default(CONFIG_DEFAULTS.CHAT_EVIDENCE_TOKENS),
  CHAT_INTENDED_MODEL: z.string().trim().min(1).max(200).optional(),
  CHAT_EXECUTION: z.enum(CHAT_EXECUTIONS).default(CONFIG_DEFAULTS.CHAT_EXECUTION),
  CHAT_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(CONFIG_DEFAULTS.CHAT_LEASE_SECONDS),
  INDEX_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(CONFIG_DEFAULTS.INDEX_LEASE_SECONDS),
  JOBS_LEASE_CHECK_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(CONFIG_DEFAULTS.JOBS_LEASE_CHECK_SECONDS),
  VERIFY_JWT: flag.optional(),
  SUPABASE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});

/** Validated configuration of one cogo process. */
export interface CogoConfig {
  /** Postgres server URL; absent means the embedded PGlite database. */
  readonly databaseUrl: string | undefined;
  /** Where the embedded database lives; absent means `<indexed repo>/.cogo/db`. */
  readonly dataDir: string | undefined;
  readonly logLevel: string;
  readonly metricsPort: number;
  readonly gatewayPort: number;
  /** Which embedder search uses; the API key is never logged. */
  readonly embedding:
    | { readonly provider: 'local'; readonly dimension: number }
    | {
        readonly provider: 'openai-compatible';
        readonly baseUrl: string;
        readonly apiKey: string | undefined;
        readonly model: string;
        readonly dimension: number;
      };
  readonly maxFileBytes: number;
  readonly search: {
    /**
     * Without pgvector, the memory the in-process vector scan may hold per database and model
     * (`COGO_VECTOR_MEMORY_MB`); past it, or at 0, vectors are scored in SQL.
     */
    readonly vectorMemoryBytes: number;
  };
  readonly coverageMin: {
    readonly params: number;
    readonly returns: number;
    readonly fields: number;
    readonly lines: number;
    readonly declarations: number;
    readonly chunk_lines: number;
  };
  readonly llm: {
    /** `ROUTER_SCORE_V2=true`: score v2 (policy penalties, regions, cold start, backoff). */
    readonly scoreVersion: 'v1' | 'v2';
    /** Health older than this counts as unknown (`HEALTH_TTL_MIN`). */
    readonly healthTtlMs: number;
    readonly firstTokenTimeoutMs: number;
    /** The vault's master key as given (never logged); absent means no vault. */
    readonly vaultMasterKey: string | undefined;
  };
  readonly chat: {
    readonly answerer: (typeof CHAT_ANSWERERS)[number];
    /** Self-correction revisions after the first draft. */
    readonly maxRounds: number;
    readonly evidenceTokens: number;
    /** `provider/model` the router tries first for chat. */
    readonly intendedModel: string | undefined;
    /** Where the gateway's answers are given (`CHAT_EXECUTION`). */
    readonly execution: (typeof CHAT_EXECUTIONS)[number];
    /** How long a chat worker holds an answer job before another may take it over. */
    readonly leaseSeconds: number;
  };
  readonly jobs: {
    /** How often the queue engine takes back jobs whose lease ran out. */
    readonly leaseCheckSeconds: number;
  };
  readonly index: {
    /** How long an index worker holds a saga step before another may take it over (`INDEX_LEASE_SECONDS`). */
    readonly leaseSeconds: number;
  };
  /** JWT verification for router-select and key-vault: on unless VERIFY_JWT=false. */
  readonly auth: { readonly verifyJwt: boolean; readonly jwtSecret: string | undefined };
}

/**
 * Reads and validates cogo's configuration from an environment. Pure: the only input is `env`.
 * Empty strings count as unset. Throws a `ConfigError` naming every bad variable at once.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): CogoConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '?');
        const shown = SECRET_KEYS.has(key) ? '<redacted>' : JSON.stringify(input[key]);
        return `${key}=${shown}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.EMBEDDING_PROVIDER === 'openai-compatible') {
    const missing = (['EMBEDDING_BASE_URL', 'EMBEDDING_MODEL', 'EMBEDDING_DIMENSION'] as const).filter(
      (k) => e[k] === undefined,
    );
    if (missing.length > 0) {
      throw new ConfigError(missing.map((k) => `${k}: required when EMBEDDING_PROVIDER=openai-compatible`));
    }
  }
  const embedding: CogoConfig['embedding'] =
    e.EMBEDDING_PROVIDER === 'openai-compatible'
      ? {
          provider: 'openai-compatible',
          baseUrl: e.EMBEDDING_BASE_URL!,
          apiKey: e.EMBEDDING_API_KEY,
          model: e.EMBEDDING_MODEL!,
          dimension: e.EMBEDDING_DIMENSION!,
        }
      : { provider: 'local', dimension: e.EMBEDDING_DIMENSION ?? CONFIG_DEFAULTS.EMBEDDING_DIMENSION_LOCAL };
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.COGO_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    gatewayPort: e.GATEWAY_PORT,
    embedding,
    maxFileBytes: e.COGO_MAX_FILE_BYTES,
    search: { vectorMemoryBytes: Math.round(e.COGO_VECTOR_MEMORY_MB * 2 ** 20) },
    coverageMin: {
      params: e.KG_COVERAGE_PARAMS_MIN,
      returns: e.KG_COVERAGE_RETURNS_MIN,
      fields: e.KG_COVERAGE_FIELDS_MIN,
      lines: e.KG_COVERAGE_LINES_MIN,
      declarations: e.KG_COVERAGE_DECLARATIONS_MIN,
      chunk_lines: e.KG_COVERAGE_CHUNK_LINES_MIN,
    },
    llm: {
      scoreVersion: (e.ROUTER_SCORE_V2 ?? CONFIG_DEFAULTS.ROUTER_SCORE_V2) ? 'v2' : 'v1',
      healthTtlMs: e.HEALTH_TTL_MIN * 60_000,
      firstTokenTimeoutMs: e.LLM_FIRST_TOKEN_TIMEOUT_MS,
      vaultMasterKey: e.COGO_VAULT_MASTER_KEY,
    },
    chat: {
      answerer: e.CHAT_ANSWERER,
      maxRounds: e.CHAT_MAX_ROUNDS,
      evidenceTokens: e.CHAT_EVIDENCE_TOKENS,
      intendedModel: e.CHAT_INTENDED_MODEL,
      execution: e.CHAT_EXECUTION,
      leaseSeconds: e.CHAT_LEASE_SECONDS,
    },
    jobs: { leaseCheckSeconds: e.JOBS_LEASE_CHECK_SECONDS },
    index: { leaseSeconds: e.INDEX_LEASE_SECONDS },
    auth: { verifyJwt: e.VERIFY_JWT ?? true, jwtSecret: e.SUPABASE_JWT_SECRET },
  };
}
