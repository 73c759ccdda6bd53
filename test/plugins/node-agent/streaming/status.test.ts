import { renderStatus, statusOfResult, statusOfThrown } from '../../../../plugins/node-agent/streaming/status';
import type { RemoteCommandRequest } from '../../../../plugins/node-agent/streaming/types';

const request: RemoteCommandRequest = { command: ['sh', '-c', 'exit 3'], container: 'app', stdin: false, stdout: true, stderr: true, tty: false };

describe('the Status on the error channel, byte for byte as the kubelet writes it (v4+)', () => {
  test.each([
    ['exit 0', { exitCode: 0 }, '{"metadata":{},"status":"Success"}'],
    [
      'exit 3',
      { exitCode: 3 },
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
    ],
    [
      'an error',
      { error: 'container "app" is not running' },
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: container \\"app\\" is not running","reason":"InternalError","details":{"causes":[{"message":"container \\"app\\" is not running"}]},"code":500}',
    ],
  ])('%s', (_name, result, json) => {
    expect(renderStatus(statusOfResult(result, request), 4)?.toString()).toBe(json);
    expect(renderStatus(statusOfResult(result, request), 5)?.toString()).toBe(json);
  });

  test('a thrown error is an internal error with its message', () => {
    expect(statusOfThrown(new Error('boom'))).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: boom',
      reason: 'InternalError',
      details: { causes: [{ message: 'boom' }] },
      code: 500,
    });
    expect(statusOfThrown('plain').message).toBe('Internal error occurred: plain');
    expect(statusOfThrown(new Error('')).message).toBe('Internal error occurred: handler failed without a message');
  });
});

describe('v1-v3 carry only the message of a failure', () => {
  test.each([1, 2, 3])('v%i', (version) => {
    expect(renderStatus(statusOfResult({ exitCode: 0 }, request), version)).toBeUndefined();
    expect(renderStatus(statusOfResult({ exitCode: 3 }, request), version)?.toString()).toBe(
      'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
    );
    expect(renderStatus(statusOfResult({ error: 'gone' }, request), version)?.toString()).toBe('Internal error occurred: gone');
  });
});
