import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { safetyFlags } from './schema.js';

export type FlagRow = typeof safetyFlags.$inferSelect;
export type NewFlag = Pick<typeof safetyFlags.$inferInsert, 'sessionId' | 'messageId' | 'userId' | 'courseId' | 'category' | 'severity' | 'source'>;

export function insertFlags(tx: Db, flags: NewFlag[]): Promise<FlagRow[]> {
  return flags.length === 0 ? Promise.resolve([]) : tx.insert(safetyFlags).values(flags).returning();
}

export interface FlagFilter {
  /** The scope's courses; undefined: every course. */
  courseIds?: number[];
  status?: FlagRow['status'];
  courseId?: number;
  userId?: number;
  sessionId?: number;
}

const inCourses = (courseIds: number[] | undefined) =>
  courseIds === undefined ? undefined : inArray(safetyFlags.courseId, courseIds.length > 0 ? courseIds : [-1]);

/** Flags newest first, `limit` of them with an id below `before`. */
export function listFlags(db: Db, filter: FlagFilter, limit: number, before?: number): Promise<FlagRow[]> {
  const f = safetyFlags;
  return db
    .select()
    .from(f)
    .where(
      and(
        inCourses(filter.courseIds),
        filter.status === undefined ? undefined : eq(f.status, filter.status),
        filter.courseId === undefined ? undefined : eq(f.courseId, filter.courseId),
        filter.userId === undefined ? undefined : eq(f.userId, filter.userId),
        filter.sessionId === undefined ? undefined : eq(f.sessionId, filter.sessionId),
        before === undefined ? undefined : lt(f.id, before),
      ),
    )
    .orderBy(desc(f.id))
    .limit(limit);
}

/** Resolves a flag in the scope's courses (again, if it was: the first resolution stays); undefined when none. */
export async function resolveFlag(db: Db, id: number, by: string, courseIds: number[] | undefined): Promise<FlagRow | undefined> {
  const f = safetyFlags;
  const [resolved] = await db
    .update(f)
    .set({ status: 'resolved', resolvedAt: sql`coalesce(${f.resolvedAt}, now())`, resolvedBy: sql`coalesce(${f.resolvedBy}, ${by})` })
    .where(and(eq(f.id, id), inCourses(courseIds)))
    .returning();
  return resolved;
}

/** A session's open flags, counted (for the sessions list). */
export const openFlagCount = (sessionId: unknown) =>
  sql<number>`(select count(*) from ${safetyFlags} where ${safetyFlags.sessionId} = ${sessionId} and ${safetyFlags.status} = 'open')::int`;
