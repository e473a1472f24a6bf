import { loadConfig } from '../config.js';
import { openDatabase } from './client.js';
import { runMigrations } from './migrate.js';

// `npm run db:migrate`: applies pending migrations to the configured database (DATABASE_URL, or PGlite in DATA_DIR).
const config = loadConfig();
const database = await openDatabase(config.database, { onPoolError: (error) => console.error(error) });
try {
  await runMigrations(database);
  console.log(`Migrations applied (${database.kind}).`);
} finally {
  await database.close();
}
