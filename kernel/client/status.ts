/**
 * Turning an HTTP error response back into the `ApiError` the server threw,
 * so code written against the in-process client (`isApiError(err, 'NotFound')`)
 * behaves the same over HTTP. Bodies that are not a Status (a proxy's HTML
 * page, a load balancer's 503) get the reason client-go derives from the code.
 */
import { ApiError } from '../api/errors';
import type { Status, StatusReason } from '../api/errors';

/** client-go's `reasonForError` / `NewGenericServerResponse`: a reason and wording per HTTP code. */
const BY_CODE: Record<number, [StatusReason, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Gone', 'the server could not find the requested resource'],
  413: ['RequestEntityTooLarge', 'the server rejected our request because the request entity is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to handle the media type requested'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

export function reasonForCode(code: number): [StatusReason, string] {
  return BY_CODE[code] ?? (code >= 500 ? ['InternalError', `an error on the server (HTTP ${code}) has prevented the request from succeeding`] : ['BadRequest', `the server responded with HTTP ${code}`]);
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/**
 * Rebuild the ApiError a Status stands for: same code, reason, message and
 * details. A missing code or reason is filled in from `fallbackCode`.
 */
export function apiErrorFromStatus(status: Status, fallbackCode: number, fallbackReason?: StatusReason): ApiError {
  const code = status.code || fallbackCode;
  const [derived, wording] = reasonForCode(code);
  const reason = (status.reason || fallbackReason || derived) as StatusReason;
  return new ApiError(code, reason, status.message || wording, status.details);
}

/** The ApiError for a non-2xx response with body `text` (a Status, or anything else). */
export function apiErrorFromResponse(code: number, text: string, retryAfter?: string | string[]): ApiError {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: an HTML error page or plain text; described below instead.
  }
  if (isStatus(body)) return apiErrorFromStatus(body, code);

  const [reason, wording] = reasonForCode(code);
  const snippet = text.trim().slice(0, 200);
  const message = snippet ? `${wording} (${snippet})` : wording;
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  const details = Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : undefined;
  return new ApiError(code, reason, message, details);
}
