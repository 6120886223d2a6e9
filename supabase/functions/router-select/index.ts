// Supabase Edge Function `router-select` (Deno): the same handler the gateway serves at
// POST /api/router-select, over the database in SUPABASE_DB_URL (or DATABASE_URL).
import { Hono } from 'hono';
import { createPostgresDb } from '../../../src/db/postgres-db.ts';
import { createRouter } from '../../../src/llm/create-router.ts';
import { createRouterSelectRoutes } from '../../../src/services/gateway/routes/router-select.ts';
import { edgeSettings } from '../_shared/settings.ts';

const settings = edgeSettings(Deno.env.toObject());
const db = await createPostgresDb({ connectionString: settings.databaseUrl });
const router = createRouter({ db, scoreVersion: settings.scoreVersion, healthTtlMs: settings.healthTtlMs });
const app = new Hono().route('/router-select', createRouterSelectRoutes({ router, ...settings.auth }));

Deno.serve({ port: settings.port, hostname: settings.hostname }, app.fetch);
