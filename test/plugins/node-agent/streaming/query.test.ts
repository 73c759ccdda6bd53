import { ApiError } from '../../../../kernel/api/errors';
import { parseRemoteCommandQuery } from '../../../../plugins/node-agent/streaming';
import { queryFlag } from '../../../../plugins/node-agent/streaming/query';

describe('queryFlag reads booleans as apimachinery converts them', () => {
  test.each([
    ['', false, 'absent'],
    ['x=true', true, '"true"'],
    ['x=1', true, '"1"'],
    ['x=TRUE', true, 'any other value'],
    ['x=yes', true, 'any other value'],
    ['x=', true, 'an empty value'],
    ['x', true, 'a bare name'],
    ['x=false', false, '"false"'],
    ['x=False', false, '"false" in any case'],
    ['x=0', false, '"0"'],
    ['x=0&x=1', false, 'the first of repeated values'],
  ])('%s → %s (%s)', (query, expected) => {
    expect(queryFlag(new URLSearchParams(query), 'x')).toBe(expected);
  });
});

describe('parseRemoteCommandQuery', () => {
  test('exec: command repeated in order, container, streams', () => {
    const q = new URLSearchParams('command=sh&command=-c&command=echo%20a%26b&container=app&stdin=true&stdout=true&stderr=true');
    expect(parseRemoteCommandQuery(q, 'exec')).toEqual({ command: ['sh', '-c', 'echo a&b'], container: 'app', stdin: true, stdout: true, stderr: true, tty: false });
  });

  test('attach has no command, whatever the query says', () => {
    const q = new URLSearchParams('command=ls&stdout=true');
    expect(parseRemoteCommandQuery(q, 'attach')).toEqual({ command: [], container: '', stdin: false, stdout: true, stderr: false, tty: false });
  });

  test('a tty merges stderr into stdout: stderr is dropped, not refused', () => {
    const q = new URLSearchParams('command=sh&stdin=true&stdout=true&stderr=true&tty=true');
    expect(parseRemoteCommandQuery(q, 'exec')).toMatchObject({ stdin: true, stdout: true, stderr: false, tty: true });
  });

  test.each([
    ['no stream at all', 'command=ls'],
    ['every stream false', 'command=ls&stdin=false&stdout=0&stderr=false'],
    ['only stderr, which a tty drops', 'command=ls&stderr=true&tty=true'],
  ])('%s: 400 in the kubelet\'s words', (_name, query) => {
    let caught: unknown;
    try {
      parseRemoteCommandQuery(new URLSearchParams(query), 'exec');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).toStatus()).toMatchObject({ code: 400, reason: 'BadRequest', message: 'you must specify at least 1 of stdin, stdout, stderr' });
  });

  test('stdin alone is enough (a command fed input that writes nowhere)', () => {
    expect(parseRemoteCommandQuery(new URLSearchParams('command=tee&stdin=1'), 'exec')).toMatchObject({ stdin: true, stdout: false, stderr: false });
  });
});
