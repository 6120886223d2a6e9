import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKeyVault, type KeyVault, VaultError, type VaultErrorCode } from '../src/llm/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

// Every secret written below starts with SECRET. Its length is a multiple of 3, so the base64 of
// SECRET is a prefix of the base64 of each of them, as its hex is: finding no form of SECRET
// anywhere means finding no form of any secret.
const SECRET = 'sk-live-plaintext-that-must-never-be-stored-424242';
const FORMS = [
  SECRET,
  Buffer.from(SECRET).toString('base64'),
  Buffer.from(SECRET).toString('base64url'),
  Buffer.from(SECRET).toString('hex'),
];
const master = () => new Uint8Array(randomBytes(32));

function expectNoSecretIn(text: string): void {
  for (const form of FORMS) expect(text).not.toContain(form);
}

/** The VaultError `p` rejects with, after checking no form of a secret is anywhere in it. */
async function failure(p: Promise<unknown>, code?: VaultErrorCode): Promise<VaultError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    expectNoSecretIn(`${e.message}\n${e.stack ?? ''}\n${JSON.stringify(e)}`);
  }
  if (code) expect((error as VaultError).code).toBe(code);
  return error as VaultError;
}

interface AuditRow {
  action: string;
  outcome: string;
  reason: string | null;
  version_int: number | null;
  actor: string;
}

describe.each(ADAPTERS)('the key vault on %s', (adapter) => {
  let t: TestDatabase;
  let key: Uint8Array;
  let vault: KeyVault;
  let failed = false;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'vault');
    key = master();
    vault = createKeyVault(t.db, { masterKey: key });
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  // A failed run leaves its server database behind for inspection.
  afterAll(() => t?.dispose(failed));

  const auditOf = async (keyId: string) =>
    (
      await t.db.query<AuditRow>(
        'select action, outcome, reason, version_int, actor from secure_keys_audit where key_id = $1 order by id',
        [keyId],
      )
    ).rows;
  const lastAudit = async (keyId: string) => (await auditOf(keyId)).at(-1);

  it('stores, reads back and versions a key, auditing each read and write', async () => {
    expect(await vault.put('openai', SECRET, { expectedVersion: 0, actor: 'alice' })).toEqual({
      id: 'openai',
      version: 1,
    });
    expect(await vault.get('openai', { actor: 'router' })).toEqual({
      id: 'openai',
      version: 1,
      secret: SECRET,
      expiresAt: null,
    });
    expect(await vault.put('openai', `${SECRET}-2`, { expectedVersion: 1, actor: 'bob' })).toEqual({
      id: 'openai',
      version: 2,
    });
    expect(await vault.get('openai', { actor: 'router' })).toMatchObject({
      version: 2,
      secret: `${SECRET}-2`,
    });
    expect(await auditOf('openai')).toEqual([
      { action: 'write', outcome: 'ok', reason: null, version_int: 1, actor: 'alice' },
      { action: 'read', outcome: 'ok', reason: null, version_int: 1, actor: 'router' },
      { action: 'write', outcome: 'ok', reason: null, version_int: 2, actor: 'bob' },
      { action: 'read', outcome: 'ok', reason: null, version_int: 2, actor: 'router' },
    ]);
  });

  it('keeps a secret byte for byte, whatever characters it has', async () => {
    const odd = `${SECRET} ünïcödé 🔑 "quotes" \\ back\tslash\nnewline \u0000 nul`;
    await vault.put('odd', odd, { expectedVersion: 0, actor: 'setup' });
    expect((await vault.get('odd', { actor: 'r' })).secret).toBe(odd);
  });

  it('lists metadata only', async () => {
    const keys = await vault.list();
    const openai = keys.find((k) => k.id === 'openai');
    expect(openai).toMatchObject({ version: 2, updatedBy: 'bob', revokedAt: null, expiresAt: null });
    expect(Object.keys(openai!).sort()).toEqual(
      ['expiresAt', 'id', 'revokedAt', 'updatedAt', 'updatedBy', 'validFrom', 'version'].sort(),
    );
    expectNoSecretIn(JSON.stringify(keys));
  });

  it.each([
    ['creating', 0],
    ['updating', 1],
  ])(
    'lets exactly one of 20 concurrent writers %s a key with the same expected version win',
    async (what, expectedVersion) => {
      const id = `race-${what}`;
      if (expectedVersion === 1) await vault.put(id, SECRET, { expectedVersion: 0, actor: 'setup' });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          vault.put(id, `${SECRET}-${i}`, { expectedVersion, actor: `w${i}` }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(19);
      for (const l of lost)
        expect(l.reason).toMatchObject({ code: 'VAULT_CONFLICT', currentVersion: expectedVersion + 1 });
      const audit = await auditOf(id);
      const conflicts = audit.filter((a) => a.action === 'fail');
      expect(conflicts).toHaveLength(19);
      for (const c of conflicts) expect(c).toMatchObject({ outcome: 'conflict', reason: 'VAULT_CONFLICT' });
      expect(audit.filter((a) => a.action === 'write')).toHaveLength(expectedVersion + 1);
    },
  );

  it('loses no update when concurrent writers re-read and retry on conflict', async () => {
    const writers = 8;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        for (;;) {
          const current = (await vault.list()).find((k) => k.id === 'counter')?.version ?? 0;
          try {
            await vault.put('counter', `${SECRET}-by-${i}`, { expectedVersion: current, actor: `w${i}` });
            return;
          } catch (e) {
            if ((e as VaultError).code !== 'VAULT_CONFLICT') throw e;
            conflicts++;
          }
        }
      }),
    );
    const final = await vault.get('counter', { actor: 'check' });
    expect(final.version).toBe(writers);
    const writes = (await auditOf('counter')).filter((a) => a.action === 'write');
    expect(writes.map((w) => w.version_int)).toEqual(Array.from({ length: writers }, (_, i) => i + 1));
    // The last write is the one read back.
    expect(final.secret).toBe(`${SECRET}-by-${writes.at(-1)!.actor.slice(1)}`);
    const fails = (await auditOf('counter')).filter((a) => a.action === 'fail');
    expect(fails).toHaveLength(conflicts);
  });

  it('refuses another master key before decrypting, and audits the failure', async () => {
    await vault.put('mk', SECRET, { expectedVersion: 0, actor: 'setup' });
    const other = createKeyVault(t.db, { masterKey: master() });
    await failure(other.get('mk', { actor: 'intruder' }), 'VAULT_MASTER_KEY_MISMATCH');
    // A damaged ciphertext does not matter: the master key is checked first.
    await t.db.query(`update secure_keys set ciphertext = '\\x00'::bytea where id = 'mk'`);
    await failure(other.get('mk', { actor: 'intruder' }), 'VAULT_MASTER_KEY_MISMATCH');
    expect(await lastAudit('mk')).toEqual({
      action: 'fail',
      outcome: 'error',
      reason: 'VAULT_MASTER_KEY_MISMATCH',
      version_int: 1,
      actor: 'intruder',
    });
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => createKeyVault(t.db, { masterKey: new Uint8Array(31) })).toThrow(
      expect.objectContaining({ code: 'VAULT_MASTER_KEY_INVALID' }),
    );
  });

  it.each([
    ['ciphertext', 'set ciphertext = set_byte(ciphertext, 0, (get_byte(ciphertext, 0) + 1) % 256)'],
    ['auth tag', 'set auth_tag = set_byte(auth_tag, 15, (get_byte(auth_tag, 15) + 1) % 256)'],
    ['truncated auth tag', 'set auth_tag = substring(auth_tag from 1 for 12)'],
    ['iv', 'set iv = set_byte(iv, 0, (get_byte(iv, 0) + 1) % 256)'],
    ['salt', 'set salt = set_byte(salt, 0, (get_byte(salt, 0) + 1) % 256)'],
    ['checksum', "set checksum = repeat('0', 64)"],
    ['version', 'set version_int = version_int + 1'],
  ])('detects a tampered %s', async (what, update) => {
    const id = `tamper-${what.replaceAll(' ', '-')}`;
    await vault.put(id, SECRET, { expectedVersion: 0, actor: 'setup' });
    await t.db.query(`update secure_keys ${update} where id = $1`, [id]);
    await failure(vault.get(id, { actor: 'reader' }), 'VAULT_INTEGRITY');
    expect(await lastAudit(id)).toMatchObject({
      action: 'fail',
      outcome: 'error',
      reason: 'VAULT_INTEGRITY',
    });
  });

  it('binds a ciphertext to its key id: a sealed row copied to another id does not decrypt', async () => {
    await vault.put('source', SECRET, { expectedVersion: 0, actor: 'setup' });
    await vault.put('target', `${SECRET}-other`, { expectedVersion: 0, actor: 'setup' });
    await t.db.query(
      `update secure_keys t set ciphertext = s.ciphertext, iv = s.iv, auth_tag = s.auth_tag, salt = s.salt,
              checksum = s.checksum
         from secure_keys s where s.id = 'source' and t.id = 'target'`,
    );
    await failure(vault.get('target', { actor: 'reader' }), 'VAULT_INTEGRITY');
    expect((await vault.get('source', { actor: 'reader' })).secret).toBe(SECRET);
  });

  it('binds the checksum to its key id: the checksum of the same secret under another id fails', async () => {
    await vault.put('sum-a', SECRET, { expectedVersion: 0, actor: 'setup' });
    await vault.put('sum-b', SECRET, { expectedVersion: 0, actor: 'setup' });
    await t.db.query(
      `update secure_keys t set checksum = s.checksum from secure_keys s where s.id = 'sum-a' and t.id = 'sum-b'`,
    );
    await failure(vault.get('sum-b', { actor: 'reader' }), 'VAULT_INTEGRITY');
  });

  it('checks validity and expiry against its clock', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const timed = createKeyVault(t.db, { masterKey: key, now: () => now });
    const expiresAt = new Date('2026-03-01T00:00:00Z');
    await timed.put('timed', SECRET, {
      expectedVersion: 0,
      actor: 'setup',
      validFrom: new Date('2026-02-01T00:00:00Z'),
      expiresAt,
    });
    await failure(timed.get('timed', { actor: 'r' }), 'VAULT_NOT_YET_VALID');
    now = new Date('2026-02-15T00:00:00Z');
    expect(await timed.get('timed', { actor: 'r' })).toMatchObject({ secret: SECRET, expiresAt });
    now = expiresAt;
    await failure(timed.get('timed', { actor: 'r' }), 'VAULT_EXPIRED');
    expect((await auditOf('timed')).map((a) => `${a.action}:${a.outcome}:${a.reason ?? ''}`)).toEqual([
      'write:ok:',
      'fail:denied:VAULT_NOT_YET_VALID',
      'read:ok:',
      'fail:denied:VAULT_EXPIRED',
    ]);
  });

  it('revokes with check-and-set, refuses revoked keys, and serves the next version again', async () => {
    await vault.put('revoked', SECRET, { expectedVersion: 0, actor: 'setup' });
    await failure(vault.revoke('revoked', { actor: 'admin', expectedVersion: 2 }), 'VAULT_CONFLICT');
    await vault.revoke('revoked', { actor: 'admin', expectedVersion: 1 });
    await failure(vault.revoke('revoked', { actor: 'admin', expectedVersion: 1 }), 'VAULT_REVOKED');
    await failure(vault.get('revoked', { actor: 'r' }), 'VAULT_REVOKED');
    expect((await vault.list()).find((k) => k.id === 'revoked')).toMatchObject({
      revokedAt: expect.any(Date),
      updatedBy: 'admin',
    });
    await vault.put('revoked', `${SECRET}-rotated`, { expectedVersion: 1, actor: 'admin' });
    expect(await vault.get('revoked', { actor: 'r' })).toMatchObject({
      version: 2,
      secret: `${SECRET}-rotated`,
    });
    expect(
      (await auditOf('revoked')).map((a) => `${a.action}:${a.outcome}:${a.reason ?? ''}:${a.version_int}`),
    ).toEqual([
      'write:ok::1',
      'fail:conflict:VAULT_CONFLICT:2',
      'revoke:ok::1',
      'fail:denied:VAULT_REVOKED:1',
      'fail:denied:VAULT_REVOKED:1',
      'write:ok::2',
      'read:ok::2',
    ]);
  });

  it('audits a read of a missing key as a failure', async () => {
    await failure(vault.get('missing', { actor: 'r' }), 'VAULT_NOT_FOUND');
    await failure(vault.revoke('missing', { actor: 'r', expectedVersion: 1 }), 'VAULT_NOT_FOUND');
    await failure(vault.put('missing', SECRET, { expectedVersion: 1, actor: 'w' }), 'VAULT_CONFLICT');
    expect(await auditOf('missing')).toEqual([
      { action: 'fail', outcome: 'denied', reason: 'VAULT_NOT_FOUND', version_int: null, actor: 'r' },
      { action: 'fail', outcome: 'denied', reason: 'VAULT_NOT_FOUND', version_int: 1, actor: 'r' },
      { action: 'fail', outcome: 'conflict', reason: 'VAULT_CONFLICT', version_int: 2, actor: 'w' },
    ]);
  });

  const late = new Date('2030-01-01T00:00:00Z');
  it.each([
    ['a bad id', 'bad id!', SECRET, { expectedVersion: 0 }],
    ['an empty secret', 'input', '', { expectedVersion: 0 }],
    ['a blank secret', 'input', ' \n', { expectedVersion: 0 }],
    ['a lone surrogate', 'input', `${SECRET}\ud800`, { expectedVersion: 0 }],
    ['a secret over 16 KiB', 'input', `${SECRET}${'x'.repeat(16_384)}`, { expectedVersion: 0 }],
    ['a negative expected version', 'input', SECRET, { expectedVersion: -1 }],
    ['a fractional expected version', 'input', SECRET, { expectedVersion: 0.5 }],
    ['a NaN expected version', 'input', SECRET, { expectedVersion: Number.NaN }],
    ['a version past the integer range', 'input', SECRET, { expectedVersion: 2 ** 31 - 1 }],
    ['an expiry before validity', 'input', SECRET, { expectedVersion: 0, validFrom: late, expiresAt: late }],
    ['an invalid date', 'input', SECRET, { expectedVersion: 0, expiresAt: new Date('nope') }],
    ['an empty actor', 'input', SECRET, { expectedVersion: 0, actor: '' }],
  ])('rejects %s as VAULT_INVALID_INPUT and audits it', async (_, id, secret, options) => {
    const before = (await auditOf(id)).length;
    await failure(vault.put(id, secret, { actor: 'a', ...options }), 'VAULT_INVALID_INPUT');
    const audit = await auditOf(id);
    expect(audit).toHaveLength(before + 1);
    expect(audit.at(-1)).toMatchObject({ action: 'fail', outcome: 'denied', reason: 'VAULT_INVALID_INPUT' });
    expect(await vault.list()).not.toContainEqual(expect.objectContaining({ id: 'input' }));
  });

  it('never stores the plaintext, in any form, in any column of any vault row', async () => {
    for (const table of ['secure_keys', 'secure_keys_audit']) {
      const { rows } = await t.db.query<{ row: string }>(`select t::text as row from ${table} t`);
      expect(rows.length).toBeGreaterThan(10);
      for (const r of rows) expectNoSecretIn(r.row);
    }
    // The bytea columns read as raw bytes, in case a secret was written there as its UTF-8.
    const { rows } = await t.db.query<{ b: string }>(
      `select encode(ciphertext, 'escape') || encode(iv, 'escape') || encode(auth_tag, 'escape')
              || encode(salt, 'escape') as b from secure_keys`,
    );
    for (const r of rows) expectNoSecretIn(r.b);
  });
});
