import { describe, expect, it } from 'vitest';
import { historyWindow, historyWindowStart } from '../../src/tutoring/history.js';

describe('historyWindowStart', () => {
  it('sends everything while it fits', () => {
    expect(historyWindowStart(0, 10)).toBe(0);
    expect(historyWindowStart(10, 10)).toBe(0);
  });

  it('moves in steps of half the window, never holding more than the window', () => {
    const starts = Array.from({ length: 12 }, (_, i) => historyWindowStart(11 + i, 10));
    expect(starts).toEqual([5, 5, 5, 5, 5, 10, 10, 10, 10, 10, 15, 15]);
    for (const [i, start] of starts.entries()) expect(11 + i - start).toBeLessThanOrEqual(10);
  });
});

describe('historyWindow', () => {
  const messages = (roles: string) => [...roles].map((r, id) => ({ id, role: r === 'a' ? 'assistant' : 'user' }));

  it('starts at a tutor message', () => {
    // 14 messages, window 10: the start is at 5 (a user message), so the window starts at 6.
    const recent = messages('auauauauauauau').slice(-10);
    expect(historyWindow(recent, 14, 10).map((m) => m.id)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('keeps what fits', () => {
    const all = messages('auaua');
    expect(historyWindow(all, 5, 10)).toEqual(all);
  });
});
