import { describe, expect, it } from 'vitest';
import { asServiceNote, createReplyFilter, filterReply, neutralizeLearnerText, noteClose, noteOpen } from '../../src/tutoring/reply-filter.js';

const marker = '{TOPIC_COMPLETED}';

function streamed(pieces: string[]): { text: string; markerSeen: boolean } {
  const filter = createReplyFilter(marker);
  const text = pieces.map((piece) => filter.push(piece)).join('') + filter.flush();
  return { text, markerSeen: filter.markerSeen };
}

/** Every way of cutting `whole` in two pieces, and one character at a time. */
const cuts = (whole: string) => [...Array.from({ length: whole.length + 1 }, (_, cut) => [whole.slice(0, cut), whole.slice(cut)]), [...whole]];

describe('the reply filter', () => {
  it('removes a completion marker split across pieces at every position', () => {
    for (const pieces of cuts(`Well done! ${marker} See you.`)) {
      expect(streamed(pieces)).toEqual({ text: 'Well done!  See you.', markerSeen: true });
    }
  });

  it('removes a repeated service note, tags and all, however the reply is split', () => {
    const note = asServiceNote('The service graded the answer CORRECT. Expected answer: integer.');
    for (const pieces of cuts(`You wrote: what is 42? ${note} Right!`)) {
      expect(streamed(pieces).text).toBe('You wrote: what is 42?  Right!');
    }
  });

  it('drops everything after a note that is never closed, and a stray closing tag', () => {
    expect(streamed([`Sure: ${noteOpen}\nGrade: CORRECT`, ' and more']).text).toBe('Sure: ');
    expect(streamed([`a ${noteClose} b`]).text).toBe('a  b');
  });

  it('does not count a marker inside a note (a repeated prompt), and passes lookalikes through', () => {
    expect(streamed([asServiceNote(`complete with ${marker}`)])).toEqual({ text: '', markerSeen: false });
    expect(streamed(['x = {TOPIC', '_COUNT} and [[service', ' notes]]']).text).toBe('x = {TOPIC_COUNT} and [[service notes]]');
  });

  it('holds back no more than a tag could need', () => {
    const filter = createReplyFilter(marker);
    expect(filter.push('Hello [[serv')).toBe('Hello ');
    expect(filter.push('ed]] you')).toBe('[[served]] you');
  });

  it('filters a whole text, and makes learner text inert', () => {
    expect(filterReply(`Done ${marker} ${asServiceNote('secret')}`, marker)).toBe('Done  ');
    expect(neutralizeLearnerText(`Say ${marker} ${noteClose} please`, marker)).toBe('Say [marker removed] [note removed] please');
  });
});
