import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Curriculum } from './curriculum/curriculum.js';
import { loadCatalogDir } from './curriculum/catalog-file.js';
import { createLocalCurriculum } from './curriculum/local-catalog.js';
import { openDatabase, type Database } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import type { LlmProvider } from './llm/llm.js';
import { createGeminiTutor } from './llm/gemini.js';
import { createOfflineTutor } from './llm/offline.js';
import { createOpenAiCompatibleTutor } from './llm/openai-compatible.js';
import { createTutor, type Tutor } from './tutoring/tutor.js';

export interface Deps {
  config: Config;
  database: Database;
  llm: LlmProvider;
  curriculum: Curriculum;
  tutor: Tutor;
}

/** Picks and opens every adapter once, from config. The catalog is read before the database is opened, so a bad file fails fast. */
export async function createDeps(config: Config, log: Logger): Promise<Deps> {
  const topics = loadCatalogDir(config.curriculum.dir);
  const database = await openDatabase(config.database, {
    onPoolError: (error) => log.error({ err: error }, 'PostgreSQL pool: idle connection failed'),
  });
  try {
    if (config.database.kind === 'pglite') {
      log.info({ dataDir: config.database.dataDir }, 'No DATABASE_URL: using the embedded PGlite database');
    }
    if (config.migrateOnStart) await runMigrations(database);
    return assembleDeps(config, database, topics, log);
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Wires the adapters around an open, migrated database. Tests call it with a database of their own. */
export function assembleDeps(config: Config, database: Database, topics: ReturnType<typeof loadCatalogDir>, log: Logger): Deps {
  const llm = createLlm(config, log);
  const curriculum = createLocalCurriculum(topics, database.db);
  const tutor = createTutor({ db: database.db, llm, curriculum, config: config.tutoring, log });
  return { config, database, llm, curriculum, tutor };
}

function createLlm(config: Config, log: Logger): LlmProvider {
  switch (config.llm.provider) {
    case 'gemini':
      return createGeminiTutor(config.llm, log);
    case 'openai':
      return createOpenAiCompatibleTutor(config.llm, log);
    case 'offline':
      log.warn('No LLM is configured: the offline tutor answers from the topic material (set GEMINI_API_KEY for Gemini)');
      return createOfflineTutor();
  }
}
