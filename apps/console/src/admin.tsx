// The admin pages, each in its own file.
export { UsersPage } from './users-page';
export { ApiKeysPage } from './api-keys-page';
export { AUDIT_PAGE_SIZE, AuditPage } from './audit-page';
