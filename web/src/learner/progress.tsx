import type { TFunction } from 'i18next';
import type { Progress } from '../../../src/client/types.js';

/** How far the learner is: what was asked and graded, where they stand against the pass rule, each objective's mastery. */
export function ProgressPanel({ progress, t }: { progress: Progress; t: TFunction }) {
  const { pass_correct: needed, question_count: window, recent_correct: correct, recent_graded: graded } = progress;
  const threshold = progress.mastery_threshold;
  return (
    <aside class="card progress" aria-labelledby="progress-heading">
      <h2 id="progress-heading">{t('progress')}</h2>
      <dl class="counts">
        <div>
          <dt>{t('questions_asked')}</dt>
          <dd>{progress.questions_asked}</dd>
        </div>
        <div>
          <dt>{t('answers_graded')}</dt>
          <dd>{progress.graded_answers}</dd>
        </div>
        <div>
          <dt>{t('correct_answers')}</dt>
          <dd>{progress.correct_answers}</dd>
        </div>
      </dl>
      <p class="rule">{threshold === null ? t('rule', { needed, window }) : t('rule_mastery', { needed, window, threshold: Math.round(threshold * 100) })}</p>
      <p class="standing">{graded === 0 ? t('none_graded') : t(progress.passed ? 'standing_done' : 'standing_now', { correct, graded })}</p>
      <div class="dots" aria-hidden="true">
        {Array.from({ length: needed }, (_, index) => (
          <span key={index} class={index < correct ? 'dot filled' : 'dot'} />
        ))}
      </div>
      {progress.objectives.length > 1 && (
        <>
          <h3>{t('objectives')}</h3>
          <ul class="objectives">
            {progress.objectives.map((objective) => (
              <li key={objective.id}>
                {objective.text}: {t('mastery', { percent: Math.round(objective.mastery * 100) })}
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}
