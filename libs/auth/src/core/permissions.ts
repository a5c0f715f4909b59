// Roles and what each may do: the one place access is decided (docs/api.md#routes Roles).

export const ROLES = ['admin', 'operator', 'deployer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'users:manage',
  'api-keys:manage-own',
  'api-keys:manage-all',
  'audit:read',
  'credentials:read',
  'credentials:write',
  'hosts:read',
  'hosts:write',
  'hosts:trust',
  'scans:read',
  'scans:run',
  'advisories:import',
  'findings:read',
  'patches:read',
  'patches:write',
  'patches:approve',
  'deployments:read',
  'deployments:write',
  'maintenance-windows:write',
  'tasks:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = [
  'credentials:read',
  'hosts:read',
  'scans:read',
  'findings:read',
  'patches:read',
  'deployments:read',
  'tasks:read',
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  operator: [
    ...READ,
    'api-keys:manage-own',
    'credentials:write',
    'hosts:write',
    'hosts:trust',
    'scans:run',
    'advisories:import',
    'patches:write',
    'patches:approve',
    'maintenance-windows:write',
  ],
  deployer: [...READ, 'api-keys:manage-own', 'deployments:write'],
  viewer: READ,
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** A key may not be given powers its creator lacks (roles are not a strict ladder). */
export function roleWithin(candidate: Role, owner: Role): boolean {
  return ROLE_PERMISSIONS[candidate].every((permission) => ROLE_PERMISSIONS[owner].includes(permission));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
