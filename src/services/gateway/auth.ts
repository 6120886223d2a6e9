import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { verify } from 'hono/jwt';

export interface JwtAuthOptions {
  /** `false` is development mode (`verify_jwt: false`): every request passes as actor `dev`. */
  readonly verifyJwt: boolean;
  /** The HS256 secret tokens are signed with (Supabase's JWT secret); required when verifying. */
  readonly jwtSecret?: string;
}

/** Who is calling, as the handlers see it: the token's subject and role. */
export interface Caller {
  readonly actor: string;
  readonly role: string;
}

export type AuthVariables = { caller: Caller };

const denied = (status: 401 | 403, message: string) =>
  new HTTPException(status, { message, cause: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN' } });

/**
 * Verifies `Authorization: Bearer <jwt>` (HS256, expiry checked) and sets `caller`. With
 * `verifyJwt: false` nothing is checked and the caller is `dev` with role `service_role`; that mode
 * is for local development only and is off unless configured.
 */
export function jwtAuth(options: JwtAuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  if (options.verifyJwt && !options.jwtSecret)
    throw new Error('JWT verification is on but no JWT secret is configured (SUPABASE_JWT_SECRET)');
  return async (c, next) => {
    if (!options.verifyJwt) {
      c.set('caller', { actor: 'dev', role: 'service_role' });
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw denied(401, 'A bearer token is required.');
    let payload: Record<string, unknown>;
    try {
      payload = await verify(match[1]!, options.jwtSecret!, 'HS256');
    } catch {
      throw denied(401, 'The token is invalid or expired.');
    }
    const role = typeof payload.role === 'string' ? payload.role : 'anon';
    const actor = typeof payload.sub === 'string' ? payload.sub : role;
    c.set('caller', { actor, role });
    return next();
  };
}

/** Only callers with one of these roles pass. */
export function requireRole(...roles: string[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (!roles.includes(c.get('caller').role))
      throw denied(403, `This needs the ${roles.join(' or ')} role.`);
    return next();
  };
}
