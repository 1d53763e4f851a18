import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canEditPolicy,
  canManageAccount,
  canManageCredentials,
  canView,
  type Actor,
} from '../../src/core/admin-rules.ts';
import type { Account, Role } from '../../src/core/directory-model.ts';

const acct = (id: string, tenantId: string, role: Role): Account => ({
  id,
  tenantId,
  login: `${id}@${tenantId}.example`,
  displayName: id,
  externalId: null,
  role,
  enabled: true,
  passwordHash: null,
  mustChangePassword: false,
  createdAt: 0,
  updatedAt: 0,
});
const A_GLOBAL = acct('g', 'a', 'global_admin');
const A_ADMIN = acct('ad', 'a', 'admin');
const A_ADMIN2 = acct('ad2', 'a', 'admin');
const A_USER = acct('u', 'a', 'user');
const B_USER = acct('bu', 'b', 'user');
const as = (account: Account): Actor => ({ kind: 'admin', account });

test('tenant walls: nothing of tenant B from tenant A, for admins and API keys', () => {
  assert.equal(canView(as(A_GLOBAL), B_USER), 'other_tenant');
  assert.equal(canManageCredentials(as(A_GLOBAL), B_USER), 'other_tenant');
  assert.equal(canManageAccount(as(A_GLOBAL), B_USER), 'other_tenant');
  assert.equal(canView({ kind: 'api_key', keyId: 'k', tenantId: 'a', scopes: ['users:read'] }, B_USER), 'other_tenant');
  assert.equal(canEditPolicy(as(A_GLOBAL), 'b'), 'other_tenant');
});

test('credentials: nobody resets themselves; a tenant admin resets users only; a global admin resets admins', () => {
  assert.equal(canManageCredentials(as(A_ADMIN), A_ADMIN), 'self');
  assert.equal(canManageCredentials(as(A_GLOBAL), A_GLOBAL), 'self');
  assert.equal(canManageCredentials(as(A_ADMIN), A_USER), null);
  assert.equal(canManageCredentials(as(A_ADMIN), A_ADMIN2), 'needs_global_admin');
  assert.equal(canManageCredentials(as(A_ADMIN), A_GLOBAL), 'needs_global_admin');
  assert.equal(canManageCredentials(as(A_GLOBAL), A_ADMIN), null);
  assert.equal(canManageAccount(as(A_ADMIN), A_ADMIN2), 'needs_global_admin');
  assert.equal(canManageAccount(as(A_ADMIN), A_ADMIN), null, 'an admin may edit their own contact data');
});

test('API key scopes hold', () => {
  const reader: Actor = { kind: 'api_key', keyId: 'k', tenantId: 'a', scopes: ['users:read'] };
  assert.equal(canView(reader, A_USER), null);
  assert.equal(canManageCredentials(reader, A_USER), 'scope_missing');
  assert.equal(canManageAccount(reader, A_USER), 'scope_missing');
  const resetter: Actor = { kind: 'api_key', keyId: 'k', tenantId: 'a', scopes: ['resets:write'] };
  assert.equal(canManageCredentials(resetter, A_USER), null);
  assert.equal(canManageCredentials(resetter, A_ADMIN), 'needs_global_admin');
  assert.equal(canEditPolicy(resetter, 'a'), 'scope_missing');
  const gates: Actor = { kind: 'api_key', keyId: 'k', tenantId: 'a', scopes: ['policy:read'] };
  assert.equal(canEditPolicy(gates, 'a', 'policy:read'), null);
  assert.equal(canEditPolicy(gates, 'a'), 'scope_missing', 'reading is not changing');
  assert.equal(canEditPolicy(gates, 'b', 'policy:read'), 'other_tenant');
});
