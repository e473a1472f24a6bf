import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';
import { problem, sendProblem } from './errors.js';

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (malformed, headers too large, not received
 * within HTTP_REQUEST_TIMEOUT) never reaches a route; it is still answered with a problem, and the connection closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset by the client has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail]: [ErrorCode, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'The request was not received in time.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers_too_large', 'The request line and headers are larger than this server accepts.']
        : ['bad_request', 'The request is not valid HTTP.'];
  const answer = problem(code, detail);
  const body = JSON.stringify(answer);
  if (socket.writable) {
    const { status } = answer;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Fastify's `frameworkErrors`: a URL the router cannot take (a malformed escape, a path parameter too long). */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') void sendProblem(reply, 'uri_too_long', 'A path parameter of this URL is longer than any id is.');
  else void sendProblem(reply, 'bad_request', 'The URL is not valid.');
}
