import { ApiError } from './http.js';

/** What the learner reads for an error: what happened, and what to do, in plain words. */
export function plainWords(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  const wait = error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} second${error.retryAfterSeconds === 1 ? '' : 's'}` : ' in a moment';
  switch (error.code) {
    case 'network':
      return 'The tutor service cannot be reached. Check your connection and try again.';
    case 'turn_in_progress':
    case 'request_in_progress':
      return 'The tutor is still answering your previous message. Wait for its reply, then send again.';
    case 'budget_exceeded':
      return `${error.detail} Try again tomorrow.`;
    case 'rate_limited':
      return `You are sending messages faster than allowed. Try again${wait}.`;
    case 'dependency_unavailable':
    case 'overloaded':
    case 'reply_interrupted':
      return `The tutor is unavailable right now. Try again${wait}.`;
    case 'session_not_active':
      return 'This session has ended: it takes no more messages.';
    case 'session_too_long':
      return 'This session has reached its length limit. Start a new session on the topic to go on.';
    case 'unauthorized':
      return 'Your sign-in is not valid (or has expired). Sign in again.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'session_not_found':
      return 'This session does not exist, or is not yours.';
    case 'topic_not_found':
    case 'course_not_found':
      return 'That topic does not exist.';
    case 'validation_failed':
      return `That was not accepted: ${error.detail}`;
    default:
      return error.status >= 500 ? `The service had a problem. Try again${wait}.` : error.detail;
  }
}
