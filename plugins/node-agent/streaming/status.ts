/**
 * The Status a session ends with, as the kubelet writes it on the error
 * channel. kubectl (v4 and later) decodes it: Success exits 0; the
 * NonZeroExitCode reason with an ExitCode cause makes kubectl exit with that
 * code and print `command terminated with exit code N`; any other Failure is
 * printed as `error: <message>`.
 */
import type { RemoteCommandRequest, RemoteCommandResult } from './types';

/** metav1.Status as the kubelet marshals it (field order kept: kubectl does not care, people comparing bytes do). */
export interface RemoteCommandStatus {
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly causes: ReadonlyArray<{ readonly reason?: string; readonly message: string }> };
  readonly code?: number;
}

export const SUCCESS: RemoteCommandStatus = { metadata: {}, status: 'Success' };

/**
 * The Status for what the handler returned. A non-zero exit code is reported
 * as the kubelet reports a CRI exec error (`error executing command [sh -c
 * exit 3], exit code 3`); an error as an internal error with the handler's
 * own words, which should say what failed (`container "app" is not running`).
 */
export function statusOfResult(result: RemoteCommandResult, request: RemoteCommandRequest): RemoteCommandStatus {
  if ('error' in result) return internalError(result.error);
  if (result.exitCode === 0) return SUCCESS;
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${request.command.join(' ')}], exit code ${result.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
  };
}

/** A handler that threw (or returned something that is not a result): reported, never swallowed. */
export function statusOfThrown(err: unknown): RemoteCommandStatus {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : `handler failed: ${JSON.stringify(err)}`;
  return internalError(message || 'handler failed without a message');
}

/** apierrors.NewInternalError, as the kubelet uses it for exec/attach failures. */
export function internalError(message: string): RemoteCommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/**
 * The bytes for the error channel. Protocol v4 and later carry the JSON
 * Status; v1-v3 carry only the message of a failure and nothing on success
 * (those clients read any text on the channel as the error).
 */
export function renderStatus(status: RemoteCommandStatus, protocolVersion: number): Buffer | undefined {
  if (protocolVersion >= 4) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? 'unknown error');
}
