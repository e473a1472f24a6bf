import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/**
 * JSON bodies, decoded as strict UTF-8: Fastify's own parser decodes leniently, so a body with invalid bytes would
 * be stored with U+FFFD in their place, which is not what the client sent. The text is then parsed by Fastify's
 * default JSON parser, with its protection against prototype poisoning.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parseText = app.getDefaultJsonParser('error', 'error');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    let text: string;
    try {
      text = decoder.decode(body);
    } catch {
      done(new AppError('invalid_json', 'The body is not valid UTF-8.'), undefined);
      return;
    }
    parseText(request, text, done);
  });
}
