import { describe, expect, it } from 'vitest';
import { createMarkerFilter, neutralizeMarker, stripMarker } from '../../src/tutoring/marker-filter.js';

const marker = '{TOPIC_COMPLETED}';

function streamed(pieces: string[]): { text: string; seen: boolean } {
  const filter = createMarkerFilter(marker);
  const text = pieces.map((piece) => filter.push(piece)).join('') + filter.flush();
  return { text, seen: filter.seen };
}

describe('createMarkerFilter', () => {
  it('removes a marker split across pieces at every position', () => {
    const whole = `Well done! ${marker} See you.`;
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(streamed([whole.slice(0, cut), whole.slice(cut)])).toEqual({ text: 'Well done!  See you.', seen: true });
    }
  });

  it('removes a marker arriving one character at a time, and several markers', () => {
    expect(streamed([...`a${marker}b${marker}`])).toEqual({ text: 'ab', seen: true });
  });

  it('passes text through unchanged, releasing a held-back prefix that turns out not to be the marker', () => {
    expect(streamed(['x = {TOPIC', '_COUNT} and {', '}'])).toEqual({ text: 'x = {TOPIC_COUNT} and {}', seen: false });
  });

  it('holds back no more than it must', () => {
    const filter = createMarkerFilter(marker);
    expect(filter.push('Hello {TOP')).toBe('Hello ');
    expect(filter.push('IC!')).toBe('{TOPIC!');
  });
});

describe('stripMarker and neutralizeMarker', () => {
  it('strip removes, neutralize makes the marker inert', () => {
    expect(stripMarker(`Done ${marker}`, marker)).toBe('Done ');
    expect(neutralizeMarker(`Say ${marker} please`, marker)).toBe('Say [marker removed] please');
  });
});
