/** The console's pages and the permission each needs: the nav shows only what the role can use. */
export interface NavPage {
  path: string;
  label: string;
  permission: string;
  /** Admin pages sit at the end of the nav. */
  admin?: boolean;
}

export const PAGES: readonly NavPage[] = [
  { path: '/ui/deployments', label: 'Deployments', permission: 'deployments:read' },
  { path: '/ui/tasks', label: 'Tasks', permission: 'tasks:read' },
  { path: '/ui/hosts', label: 'Hosts', permission: 'hosts:read' },
  { path: '/ui/findings', label: 'Findings', permission: 'findings:read' },
  { path: '/ui/patches', label: 'Patches', permission: 'patches:read' },
  { path: '/ui/users', label: 'Users', permission: 'users:manage', admin: true },
  { path: '/ui/api-keys', label: 'API keys', permission: 'api-keys:manage-own', admin: true },
  { path: '/ui/audit', label: 'Audit', permission: 'audit:read', admin: true },
];

export function pagesFor(permissions: readonly string[]): NavPage[] {
  return PAGES.filter((p) => permissions.includes(p.permission));
}

/** The page a path belongs to (`/ui/deployments/:id` belongs to Deployments). */
export function pageOf(path: string): NavPage | undefined {
  return PAGES.find((p) => path === p.path || path.startsWith(`${p.path}/`));
}
