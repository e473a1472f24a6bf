// The service's config first, as in the service: the AI SDK's schemas below are then built without the memoizer.
import { loadConfig } from '../src/config.js';
import { modelMessageSchema } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

describe('Zod as the service configures it', () => {
  it('runs without the memoizer once the service’s config is loaded', () => {
    expect(loadConfig).toBeTypeOf('function');
    const installed = z.config().memoizer;
    expect(installed).toBeDefined();
    expect(installed).not.toBe(z.memoizer()); // Zod's own, which it installs when none is set
    const empty = {};
    expect(installed!.alloc(z.object({}), { value: {}, issues: [] }, empty, {})).toBe(empty);
  });

  it('still validates recursive schemas: the AI SDK’s messages with nested provider options', () => {
    const messages = z.array(modelMessageSchema);
    const nested = { google: { deep: { list: [1, { more: [true, null, 'x'] }] } } };
    const valid = [
      { role: 'user', content: 'Hello', providerOptions: nested },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] },
    ];
    expect(messages.parse(valid)).toEqual(valid);
    const invalid = [{ role: 'user', content: 'Hello', providerOptions: { google: { deep: { fn: () => 1 } } } }];
    expect(messages.safeParse(invalid).success).toBe(false);
  });
});
