/**
 * The errors the API server answers a malformed patch with. Kubernetes
 * reports decoding problems as 400 BadRequest with the decoder's message, and
 * patches that decode but cannot be applied (a failed JSON-patch `test`, a
 * path that does not exist, a list of lists in a strategic merge patch) as
 * 422 with a generic message (apimachinery's NewGenericServerResponse); the
 * underlying reason travels as the error's `cause` for logs.
 */
import { ApiError } from '../errors';

/** 422 Invalid as `errors.NewGenericServerResponse(422, ...)` words it. */
export function patchRejected(cause: unknown): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', undefined, { cause });
}

/** 400 BadRequest with the message Kubernetes' patch code produces. */
export function patchBadRequest(message: string, cause?: unknown): ApiError {
  return new ApiError(400, 'BadRequest', message, undefined, cause === undefined ? undefined : { cause });
}
