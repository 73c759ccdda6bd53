import { ApiError } from '../../kernel/api/errors';

/** The ApiError a call throws (any other outcome fails the test). */
export function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}
