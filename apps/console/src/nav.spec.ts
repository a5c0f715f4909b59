import { describe, expect, it } from '@jest/globals';
import { pageOf, pagesFor } from './nav';

// The permissions of each role, as GET /auth/me reports them (libs/auth/src/core/permissions.ts).
const READ = ['credentials:read', 'hosts:read', 'scans:read', 'findings:read', 'patches:read', 'deployments:read', 'tasks:read'];
const ROLE_PERMISSIONS: Record<string, string[]> = {
  viewer: READ,
  deployer: [...READ, 'api-keys:manage-own', 'deployments:write'],
  operator: [...READ, 'api-keys:manage-own', 'hosts:write', 'hosts:trust', 'scans:run', 'patches:write', 'patches:approve'],
  admin: [...READ, 'users:manage', 'api-keys:manage-own', 'api-keys:manage-all', 'audit:read'],
};

describe('pagesFor', () => {
  it.each([
    ['a viewer reads, nothing more', 'viewer', ['Deployments', 'Tasks', 'Hosts', 'Findings', 'Patches']],
    ['a deployer also manages its own API keys', 'deployer', ['Deployments', 'Tasks', 'Hosts', 'Findings', 'Patches', 'API keys']],
    ['an operator also manages its own API keys', 'operator', ['Deployments', 'Tasks', 'Hosts', 'Findings', 'Patches', 'API keys']],
    ['an admin sees every page', 'admin', ['Deployments', 'Tasks', 'Hosts', 'Findings', 'Patches', 'Users', 'API keys', 'Audit']],
  ])('%s', (_name, role, labels) => {
    expect(pagesFor(ROLE_PERMISSIONS[role]!).map((p) => p.label)).toEqual(labels);
  });
});

describe('pageOf', () => {
  it.each([
    ['/ui/deployments/1b4e28ba-2fa1-11d2-883f-0016d3cca427', 'Deployments'],
    ['/ui/users', 'Users'],
    ['/ui/users-and-more', undefined],
    ['/ui', undefined],
  ])('%s belongs to %s', (path, label) => {
    expect(pageOf(path)?.label).toBe(label);
  });
});
