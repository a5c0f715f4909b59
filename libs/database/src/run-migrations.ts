import { loadConfigOrExit } from '@vulnzero/config';
import { runMigrations } from './migrator';

// `npm run migration:run`
const config = loadConfigOrExit('migrate');
runMigrations(config.databaseUrl).catch((error: Error) => {
  process.stderr.write(`migration failed: ${error.message}\n`);
  process.exit(1);
});
