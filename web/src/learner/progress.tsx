import type { Progress } from '../../../src/client/types.js';

/** How far the learner is: what was asked and graded, and where they stand against the pass rule. */
export function ProgressPanel({ progress }: { progress: Progress }) {
  const { pass_correct: needed, question_count: window, recent_correct: correct, recent_graded: graded } = progress;
  return (
    <aside class="card progress" aria-labelledby="progress-heading">
      <h2 id="progress-heading">Progress</h2>
      <dl class="counts">
        <div>
          <dt>Questions asked</dt>
          <dd>{progress.questions_asked}</dd>
        </div>
        <div>
          <dt>Answers graded</dt>
          <dd>{progress.graded_answers}</dd>
        </div>
        <div>
          <dt>Correct answers</dt>
          <dd>{progress.correct_answers}</dd>
        </div>
      </dl>
      <p class="rule">
        The topic is complete at {needed} correct of your last {window} answers.
      </p>
      <p class="standing">
        {graded === 0 ? 'No answer graded yet.' : `${progress.passed ? 'Done' : 'Now'}: ${correct} correct of your last ${graded}.`}
      </p>
      <div class="dots" aria-hidden="true">
        {Array.from({ length: needed }, (_, index) => (
          <span key={index} class={index < correct ? 'dot filled' : 'dot'} />
        ))}
      </div>
    </aside>
  );
}
