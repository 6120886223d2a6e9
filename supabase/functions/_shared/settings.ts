// What the edge functions read from their environment: the same variable names as cogo's own
// configuration (src/core/config.ts), read here because these entry points run under Deno.

export interface EdgeSettings {
  readonly databaseUrl: string;
  readonly scoreVersion: 'v1' | 'v2';
  readonly healthTtlMs: number;
  readonly auth: { readonly verifyJwt: boolean; readonly jwtSecret?: string };
  readonly vaultMasterKey: string | undefined;
  readonly port: number;
  readonly hostname: string;
}

const flag = (value: string | undefined, fallback: boolean): boolean =>
  value === undefined || value === '' ? fallback : ['true', '1'].includes(value.trim().toLowerCase());

/**
 * Reads the settings; throws naming the variable when one is missing or malformed. JWT
 * verification is on unless VERIFY_JWT=false (development mode, the seed's `verify_jwt: false`).
 */
export function edgeSettings(env: Readonly<Record<string, string>>): EdgeSettings {
  const databaseUrl = env.SUPABASE_DB_URL || env.DATABASE_URL;
  if (!databaseUrl) throw new Error('SUPABASE_DB_URL or DATABASE_URL must be set');
  const ttlMin = Number(env.HEALTH_TTL_MIN || 1440);
  if (!(ttlMin > 0)) throw new Error(`HEALTH_TTL_MIN must be a positive number of minutes`);
  const verifyJwt = flag(env.VERIFY_JWT, true);
  const jwtSecret = env.SUPABASE_JWT_SECRET || undefined;
  if (verifyJwt && !jwtSecret) throw new Error('SUPABASE_JWT_SECRET must be set unless VERIFY_JWT=false');
  const port = Number(env.PORT || 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error('PORT must be a port number');
  return {
    databaseUrl,
    scoreVersion: flag(env.ROUTER_SCORE_V2, false) ? 'v2' : 'v1',
    healthTtlMs: ttlMin * 60_000,
    auth: verifyJwt ? { verifyJwt, jwtSecret: jwtSecret! } : { verifyJwt },
    vaultMasterKey: env.COGO_VAULT_MASTER_KEY || undefined,
    port,
    hostname: env.HOSTNAME_BIND || '127.0.0.1',
  };
}
