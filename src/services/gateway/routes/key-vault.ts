import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { Logger } from '../../../core/index.ts';
import type { KeyVault } from '../../../llm/index.ts';
import { type AuthVariables, type JwtAuthOptions, jwtAuth, requireRole } from '../auth.ts';
import { describeIssues, errorHandler, fail } from '../respond.ts';

const KEY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `PUT key-vault/keys/:id` body. `expectedVersion` 0 creates; otherwise it must be the current version. */
export const PutKeyRequestSchema = z.strictObject({
  secret: z.string().min(1).max(16_384),
  expectedVersion: z.number().int().nonnegative(),
  validFrom: z.iso.datetime({ offset: true }).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export const RevokeKeyRequestSchema = z.strictObject({ expectedVersion: z.number().int().positive() });

// Vault failures a caller can act on, and the status each gets; anything else is a 500.
const STATUS: Readonly<Record<string, ContentfulStatusCode>> = {
  VAULT_INVALID_INPUT: 400,
  VAULT_NOT_FOUND: 404,
  VAULT_CONFLICT: 409,
  VAULT_REVOKED: 410,
  VAULT_EXPIRED: 410,
  VAULT_NOT_YET_VALID: 409,
};

export interface KeyVaultRoutesOptions extends JwtAuthOptions {
  readonly vault: KeyVault;
  readonly logger?: Logger;
}

/**
 * The key-vault handler, served by the gateway (`/api/key-vault/...`) and by the Supabase Edge
 * Function `key-vault` alike. Only the `service_role` may read or write secrets; any authenticated
 * caller may list key metadata. Every read and write is audited by the vault under the token's
 * subject. Secrets never appear in errors or logs.
 */
export function createKeyVaultRoutes(options: KeyVaultRoutesOptions): Hono<{ Variables: AuthVariables }> {
  const { vault } = options;
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', jwtAuth(options));

  const body = async <T>(c: { req: { json: () => Promise<unknown> } }, schema: z.ZodType<T>) => {
    const raw = await c.req.json().catch(() => undefined);
    if (raw === undefined) return { error: 'The body must be JSON.' } as const;
    const parsed = schema.safeParse(raw);
    return parsed.success
      ? ({ value: parsed.data } as const)
      : ({ error: describeIssues(parsed.error) } as const);
  };
  const badId = (id: string) => !KEY_ID.test(id);

  app.get('/keys', requireRole('service_role', 'authenticated'), async (c) =>
    c.json({ ok: true, result: await vault.list() }),
  );

  app.get('/keys/:id', requireRole('service_role'), async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: letters, digits and . _ : - only'), 400);
    const key = await vault.get(id, { actor: c.get('caller').actor });
    return c.json({
      ok: true,
      result: { id: key.id, version: key.version, secret: key.secret, expiresAt: key.expiresAt },
    });
  });

  app.put('/keys/:id', requireRole('service_role'), async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: letters, digits and . _ : - only'), 400);
    const b = await body(c, PutKeyRequestSchema);
    if ('error' in b) return c.json(fail('INVALID_REQUEST', b.error ?? 'Bad request.'), 400);
    const r = await vault.put(id, b.value.secret, {
      expectedVersion: b.value.expectedVersion,
      actor: c.get('caller').actor,
      ...(b.value.validFrom ? { validFrom: new Date(b.value.validFrom) } : {}),
      ...(b.value.expiresAt ? { expiresAt: new Date(b.value.expiresAt) } : {}),
    });
    return c.json({ ok: true, result: r });
  });

  app.post('/keys/:id/revoke', requireRole('service_role'), async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: letters, digits and . _ : - only'), 400);
    const b = await body(c, RevokeKeyRequestSchema);
    if ('error' in b) return c.json(fail('INVALID_REQUEST', b.error ?? 'Bad request.'), 400);
    await vault.revoke(id, { actor: c.get('caller').actor, expectedVersion: b.value.expectedVersion });
    return c.json({ ok: true, result: { id, revoked: true } });
  });

  const handle = errorHandler(options.logger);
  app.onError((error, c) => {
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'string' ? STATUS[code] : undefined;
    // The vault's messages name ids and versions, never secrets.
    if (status) return c.json(fail(code as string, error.message), status);
    return handle(error, c);
  });
  return app;
}
