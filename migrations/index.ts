// Every migration, in order. A landed migration is never edited: add a new one.
import { CreateTasks1764060000000 } from './1764060000000-create-tasks';
import { CreateUsersAndApiKeys1764070000000 } from './1764070000000-create-users-and-api-keys';

export const MIGRATIONS = [
  CreateTasks1764060000000,
  CreateUsersAndApiKeys1764070000000,
];
