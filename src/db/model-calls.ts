import type { Db } from './client.js';
import { modelCalls } from './schema.js';

export type NewModelCall = Omit<typeof modelCalls.$inferInsert, 'id' | 'createdAt'>;

export async function insertModelCalls(tx: Db, calls: NewModelCall[]): Promise<void> {
  if (calls.length > 0) await tx.insert(modelCalls).values(calls);
}
