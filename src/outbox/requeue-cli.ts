import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { dotnetQueue } from '../db/outbox.js';

// `npm run outbox:requeue` puts every dead letter back in the queue; `npm run outbox:requeue -- 123` only
// session 123's. A running service delivers them on its next round.
const config = loadConfig();
const argument = process.argv[2];
const sessionId = argument === undefined ? undefined : Number(argument);
if (sessionId !== undefined && !(Number.isInteger(sessionId) && sessionId > 0)) {
  console.error(`Usage: npm run outbox:requeue [-- SESSION_ID]   (got "${argument}")`);
  process.exit(2);
}
const database = await openDatabase(config.database, { onPoolError: (error) => console.error(error) });
try {
  const rows = await dotnetQueue.requeueDead(database.db, sessionId);
  console.log(`Requeued ${rows.length} dead completion notice(s)${rows.length ? `: sessions ${rows.map((row) => row.sessionId).join(', ')}` : ''}.`);
} finally {
  await database.close();
}
