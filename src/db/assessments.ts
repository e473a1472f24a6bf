import { asc, eq, sql } from 'drizzle-orm';
import { preparedFor, type Db } from './client.js';
import { assessments } from './schema.js';

export type AssessmentRow = typeof assessments.$inferSelect;
/** What a session's progress is computed from: each of its questions' state, in the order they were asked. */
export type QuestionState = Pick<AssessmentRow, 'status' | 'correct'>;
export type NewAssessment = Pick<
  typeof assessments.$inferInsert,
  'sessionId' | 'question' | 'expectedAnswer' | 'acceptedAnswers' | 'hint' | 'objective' | 'questionMessageId'
>;
export type GradeRecord = Pick<
  AssessmentRow,
  'learnerAnswer' | 'correct' | 'feedback' | 'answerMessageId' | 'gradedAt' | 'promptTokens' | 'outputTokens' | 'cachedTokens'
>;

const ofSession = preparedFor((db) =>
  db.select().from(assessments).where(eq(assessments.sessionId, sql.placeholder('sessionId'))).orderBy(asc(assessments.id)).prepare('session_assessments'),
);

export function sessionAssessments(db: Db, sessionId: number): Promise<AssessmentRow[]> {
  return ofSession(db).execute({ sessionId });
}

export async function insertAssessment(tx: Db, assessment: NewAssessment): Promise<void> {
  await tx.insert(assessments).values(assessment);
}

export async function recordGrade(
  tx: Db,
  assessmentId: number,
  grade: GradeRecord,
): Promise<void> {
  await tx
    .update(assessments)
    .set({ ...grade, status: 'graded' })
    .where(eq(assessments.id, assessmentId));
}
