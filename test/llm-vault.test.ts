import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyVault, type KeyVault, parseMasterKey, VaultError } from '../src/llm/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const SECRET = 'sk-live-plaintext-that-must-never-be-stored-4242';
const master = () => new Uint8Array(randomBytes(32));

async function failure(p: Promise<unknown>): Promise<VaultError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  expect((error as Error).message).not.toContain(SECRET);
  return error as VaultError;
}

describe('parseMasterKey', () => {
  it('takes 32 bytes as hex or base64 and never echoes a bad value', () => {
    const bytes = randomBytes(32);
    expect(Buffer.from(parseMasterKey(bytes.toString('hex')))).toEqual(bytes);
    expect(Buffer.from(parseMasterKey(bytes.toString('base64')))).toEqual(bytes);
    const bad = randomBytes(16).toString('hex');
    expect(() => parseMasterKey(bad)).toThrow(VaultError);
    try {
      parseMasterKey(bad);
    } catch (e) {
      expect((e as VaultError).code).toBe('VAULT_MASTER_KEY_INVALID');
      expect((e as Error).message).not.toContain(bad);
    }
  });
});

describe.each(ADAPTERS)('the key vault on %s', (adapter) => {
  let t: TestDatabase;
  let key: Uint8Array;
  let vault: KeyVault;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'vault');
    key = master();
    vault = createKeyVault(t.db, { masterKey: key });
  });
  afterAll(() => t?.dispose());

  const auditOf = async (keyId: string) =>
    (
      await t.db.query<{
        action: string;
        outcome: string;
        reason: string | null;
        version_int: number | null;
        actor: string;
      }>(
        'select action, outcome, reason, version_int, actor from secure_keys_audit where key_id = $1 order by id',
        [keyId],
      )
    ).rows;

  it('stores, reads back and versions a key, auditing each read and write', async () => {
    expect(await vault.put('openai', SECRET, { expectedVersion: 0, actor: 'alice' })).toEqual({
      id: 'openai',
      version: 1,
    });
    expect(await vault.get('openai', { actor: 'router' })).toMatchObject({
      id: 'openai',
      version: 1,
      secret: SECRET,
    });
    expect(await vault.put('openai', `${SECRET}-2`, { expectedVersion: 1, actor: 'alice' })).toEqual({
      id: 'openai',
      version: 2,
    });
    expect((await vault.get('openai', { actor: 'router' })).secret).toBe(`${SECRET}-2`);
    expect(await auditOf('openai')).toEqual([
      { action: 'write', outcome: 'ok', reason: null, version_int: 1, actor: 'alice' },
      { action: 'read', outcome: 'ok', reason: null, version_int: 1, actor: 'router' },
      { action: 'write', outcome: 'ok', reason: null, version_int: 2, actor: 'alice' },
      { action: 'read', outcome: 'ok', reason: null, version_int: 2, actor: 'router' },
    ]);
    const [meta] = await vault.list();
    expect(meta).toMatchObject({ id: 'openai', version: 2, updatedBy: 'alice', revokedAt: null });
    expect(Object.keys(meta!)).not.toContain('secret');
  });

  it('lets exactly one of 20 concurrent writers with the same expected version win', async () => {
    await vault.put('race', SECRET, { expectedVersion: 0, actor: 'setup' });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        vault.put('race', `${SECRET}-${i}`, { expectedVersion: 1, actor: `w${i}` }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const l of lost) expect(l.reason).toMatchObject({ code: 'VAULT_CONFLICT', currentVersion: 2 });
    const conflicts = (await auditOf('race')).filter((a) => a.action === 'fail');
    expect(conflicts).toHaveLength(19);
    expect(conflicts.every((a) => a.outcome === 'conflict' && a.reason === 'VAULT_CONFLICT')).toBe(true);
  });

  it('loses no update when concurrent writers re-read and retry on conflict', async () => {
    await vault.put('counter', 'v0', { expectedVersion: 0, actor: 'setup' });
    const writers = 8;
    await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        for (;;) {
          const current = (await vault.list()).find((k) => k.id === 'counter')!.version;
          try {
            await vault.put('counter', `written by ${i}`, { expectedVersion: current, actor: `w${i}` });
            return;
          } catch (e) {
            if ((e as VaultError).code !== 'VAULT_CONFLICT') throw e;
          }
        }
      }),
    );
    const final = await vault.get('counter', { actor: 'check' });
    expect(final.version).toBe(1 + writers);
    const writes = (await auditOf('counter')).filter((a) => a.action === 'write' && a.outcome === 'ok');
    expect(writes.map((w) => w.version_int)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
  });

  it('refuses another master key before decrypting, and audits the failure', async () => {
    await vault.put('mk', SECRET, { expectedVersion: 0, actor: 'setup' });
    const other = createKeyVault(t.db, { masterKey: master() });
    expect((await failure(other.get('mk', { actor: 'intruder' }))).code).toBe('VAULT_MASTER_KEY_MISMATCH');
    expect((await auditOf('mk')).at(-1)).toMatchObject({
      action: 'fail',
      outcome: 'error',
      reason: 'VAULT_MASTER_KEY_MISMATCH',
      actor: 'intruder',
    });
  });

  it.each([
    ['ciphertext', 'set ciphertext = set_byte(ciphertext, 0, (get_byte(ciphertext, 0) + 1) % 256)'],
    ['auth tag', 'set auth_tag = set_byte(auth_tag, 0, (get_byte(auth_tag, 0) + 1) % 256)'],
    ['checksum', "set checksum = repeat('0', 64)"],
    ['version (the cipher is bound to it)', 'set version_int = version_int + 1'],
  ])('detects a tampered %s', async (what, update) => {
    const id = `tamper-${what.split(' ')[0]}`;
    await vault.put(id, SECRET, { expectedVersion: 0, actor: 'setup' });
    await t.db.query(`update secure_keys ${update} where id = $1`, [id]);
    expect((await failure(vault.get(id, { actor: 'reader' }))).code).toBe('VAULT_INTEGRITY');
    expect((await auditOf(id)).at(-1)).toMatchObject({ action: 'fail', reason: 'VAULT_INTEGRITY' });
  });

  it('binds a ciphertext to its key id: a row copied to another id does not decrypt', async () => {
    await vault.put('source', SECRET, { expectedVersion: 0, actor: 'setup' });
    await vault.put('target', 'something else', { expectedVersion: 0, actor: 'setup' });
    await t.db.query(
      `update secure_keys t set ciphertext = s.ciphertext, iv = s.iv, auth_tag = s.auth_tag, salt = s.salt, checksum = s.checksum
         from secure_keys s where s.id = 'source' and t.id = 'target'`,
    );
    expect((await failure(vault.get('target', { actor: 'reader' }))).code).toBe('VAULT_INTEGRITY');
  });

  it('checks validity, expiry and revocation on read', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const timed = createKeyVault(t.db, { masterKey: key, now: () => now });
    await timed.put('timed', SECRET, {
      expectedVersion: 0,
      actor: 'setup',
      validFrom: new Date('2026-02-01T00:00:00Z'),
      expiresAt: new Date('2026-03-01T00:00:00Z'),
    });
    expect((await failure(timed.get('timed', { actor: 'r' }))).code).toBe('VAULT_NOT_YET_VALID');
    now = new Date('2026-02-15T00:00:00Z');
    expect((await timed.get('timed', { actor: 'r' })).secret).toBe(SECRET);
    now = new Date('2026-03-01T00:00:00Z');
    expect((await failure(timed.get('timed', { actor: 'r' }))).code).toBe('VAULT_EXPIRED');
    await vault.put('revoked', SECRET, { expectedVersion: 0, actor: 'setup' });
    expect((await failure(vault.revoke('revoked', { actor: 'admin', expectedVersion: 2 }))).code).toBe(
      'VAULT_CONFLICT',
    );
    await vault.revoke('revoked', { actor: 'admin', expectedVersion: 1 });
    expect((await failure(vault.get('revoked', { actor: 'r' }))).code).toBe('VAULT_REVOKED');
    expect((await auditOf('revoked')).map((a) => `${a.action}:${a.outcome}:${a.reason ?? ''}`)).toEqual([
      'write:ok:',
      'fail:conflict:VAULT_CONFLICT',
      'revoke:ok:',
      'fail:denied:VAULT_REVOKED',
    ]);
    expect((await failure(vault.get('missing', { actor: 'r' }))).code).toBe('VAULT_NOT_FOUND');
    expect((await auditOf('missing')).at(-1)).toMatchObject({
      action: 'fail',
      outcome: 'denied',
      reason: 'VAULT_NOT_FOUND',
    });
  });

  it('rejects bad input clearly', async () => {
    expect((await failure(vault.put('bad id!', SECRET, { expectedVersion: 0, actor: 'a' }))).code).toBe(
      'VAULT_INVALID_INPUT',
    );
    expect((await failure(vault.put('ok', '', { expectedVersion: 0, actor: 'a' }))).code).toBe(
      'VAULT_INVALID_INPUT',
    );
    const late = new Date('2030-01-01T00:00:00Z');
    expect(
      (
        await failure(
          vault.put('ok', SECRET, {
            expectedVersion: 0,
            actor: 'a',
            validFrom: late,
            expiresAt: new Date('2029-01-01T00:00:00Z'),
          }),
        )
      ).code,
    ).toBe('VAULT_INVALID_INPUT');
  });

  it('never stores the plaintext, in any form, in any column of the vault tables', async () => {
    const forms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')];
    for (const table of ['secure_keys', 'secure_keys_audit']) {
      const { rows } = await t.db.query<{ row: string }>(`select t::text as row from ${table} t`);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) for (const f of forms) expect(r.row).not.toContain(f);
      // bytea columns as hex in the text form; and decoded, in case they were stored as text bytes.
      const { rows: bytes } = await t.db.query<{ b: string }>(
        table === 'secure_keys'
          ? `select encode(ciphertext, 'escape') as b from secure_keys`
          : `select '' as b`,
      );
      for (const b of bytes) expect(b.b).not.toContain(SECRET);
    }
  });
});
