/**
 * PodExecOptions / PodAttachOptions from the query of an exec or attach
 * request, read the way Kubernetes reads them.
 */
import { ApiError } from '../../../kernel/api/errors';
import type { ParseRemoteCommandQuery, RemoteCommandRequest } from './types';

/**
 * A boolean query parameter as apimachinery converts it
 * (Convert_Slice_string_To_bool): absent is false; "0" and "false" (any case)
 * are false; anything else, even an empty value (`?stdin`), is true.
 */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/**
 * `command` is repeated, one argument per value (exec only: attach has no
 * command). With a tty, stderr is dropped rather than refused — the kubelet's
 * rule: a terminal has one output stream, so stderr travels in stdout. A
 * request left with no stream at all is refused with the kubelet's words.
 */
export const parseRemoteCommandQuery: ParseRemoteCommandQuery = (query, kind): RemoteCommandRequest => {
  const tty = queryFlag(query, 'tty');
  const stdin = queryFlag(query, 'stdin');
  const stdout = queryFlag(query, 'stdout');
  const stderr = queryFlag(query, 'stderr') && !tty;
  if (!stdin && !stdout && !stderr) throw ApiError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return {
    command: kind === 'exec' ? query.getAll('command') : [],
    container: query.get('container') ?? '',
    stdin,
    stdout,
    stderr,
    tty,
  };
};
