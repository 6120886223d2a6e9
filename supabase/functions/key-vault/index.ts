// Supabase Edge Function `key-vault` (Deno): the same handler the gateway serves at /api/key-vault,
// over the database in SUPABASE_DB_URL (or DATABASE_URL), keys sealed with COGO_VAULT_MASTER_KEY.
import { Hono } from 'hono';
import { createPostgresDb } from '../../../src/db/postgres-db.ts';
import { createKeyVault, parseMasterKey } from '../../../src/llm/key-vault.ts';
import { createKeyVaultRoutes } from '../../../src/services/gateway/routes/key-vault.ts';
import { edgeSettings } from '../_shared/settings.ts';

const settings = edgeSettings(Deno.env.toObject());
if (!settings.vaultMasterKey) throw new Error('COGO_VAULT_MASTER_KEY must be set');
const db = await createPostgresDb({ connectionString: settings.databaseUrl });
const vault = createKeyVault(db, { masterKey: parseMasterKey(settings.vaultMasterKey) });
const app = new Hono().route('/key-vault', createKeyVaultRoutes({ vault, ...settings.auth }));

Deno.serve({ port: settings.port, hostname: settings.hostname }, app.fetch);
