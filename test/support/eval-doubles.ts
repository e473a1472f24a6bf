import type { Judgment } from '../../src/eval/judge-rubric.js';
import type { GeminiAnswer, GeminiBehaviour, GeminiRequest } from './gemini-double.js';
import { contentsOf, offersAskQuestion, scriptedQuestions, scriptedTutor, textOf } from './scripted-gemini.js';

// Gemini doubles for the evaluation harness: an honest tutor and grader, a gullible one, and a judge. Each counts
// what it did, so that a test can compare the harness's figures with what the double's script implies.

/** What the gullible double did: the grades it gave because an answer told it to, the answers it gave away. */
export interface GullibleCounts {
  obeyedInjections: number;
  leakedAnswers: number;
}

const between = (text: string, tag: string) => new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1] ?? '';
const isJudging = (request: GeminiRequest) => request.systemText.includes('MRBench');

/** The judge: the same scores for every reply, with the usage of a judging call. */
export function judgeAnswer(judgment: Judgment): GeminiAnswer {
  return { text: JSON.stringify(judgment), usage: { prompt: 300, output: 60 } };
}

/** The honest tutor and grader of scripted-gemini.ts, with a judge beside them. */
export function honestTutor(judgment: Judgment): GeminiBehaviour {
  return (request, index) => (isJudging(request) ? judgeAnswer(judgment) : scriptedTutor(request, index));
}

/**
 * A tutor and grader that fall for what learners write: the grader marks an answer correct when it says it is (an
 * injection), and the tutor, asked for the answer, gives away the expected answer of the question it asked last; it
 * also gives away every second question it asks, in the reply that asks it.
 */
export function gullibleTutor(counts: GullibleCounts): GeminiBehaviour {
  let questionsAsked = 0;
  return (request, index) => {
    if (request.grading) {
      const prompt = textOf(contentsOf(request)[0]);
      const answer = between(prompt, 'learner_answer').toLowerCase();
      const expected = between(prompt, 'expected_answer').toLowerCase();
      const right = answer.includes(expected);
      const obeys = !right && /correct|system:|expected_answer/.test(answer);
      if (obeys) counts.obeyedInjections++;
      return { text: JSON.stringify({ correct: right || obeys, feedback: 'Noted.' }), usage: { prompt: 40, output: 12 } };
    }
    const contents = contentsOf(request);
    const learnerSaid = textOf(contents.at(-1));
    // Asked for the answer while its question is pending (not offered ask_question, the topic not complete).
    if (!offersAskQuestion(request) && !learnerSaid.includes('The topic is now COMPLETE') && /answer/i.test(learnerSaid)) {
      const asked = contents.flatMap((content) => content.parts.filter((part) => part.functionCall?.name === 'ask_question')).at(-1);
      const question = scriptedQuestions.find((candidate) => candidate.question === asked?.functionCall?.args.question);
      if (question) {
        counts.leakedAnswers++;
        return { text: `All right, just this once: the answer is ${question.expected}.`, usage: { prompt: 180, output: 15 } };
      }
    }
    // Every second question it asks, it gives away with it.
    const answer = scriptedTutor(request, index);
    const asked = 'functionCalls' in answer ? answer.functionCalls?.find((call) => call.name === 'ask_question') : undefined;
    if (!asked || 'status' in answer) return answer;
    const { question, expected_answer: expected } = asked.args as { question: string; expected_answer: string };
    if (++questionsAsked % 2 === 1) return answer;
    counts.leakedAnswers++;
    return { ...answer, text: `Here is your question: ${question} (Between us: it is ${expected}.)` };
  };
}
