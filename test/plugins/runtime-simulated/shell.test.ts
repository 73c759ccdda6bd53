/**
 * The sh subset: words, quotes, expansion, lists, redirections; and what it
 * declines to guess at.
 */
import { parseArgv, parseScript } from '../../../plugins/runtime-simulated/shell';

const env = (name: string) => ({ HOME: '/root', EMPTY: '', TWO: 'a b' })[name];

test.each([
  ['echo hi', [{ op: ';', command: { argv: ['echo', 'hi'], redirects: [] } }]],
  ['touch /tmp/ready && sleep 3600', [
    { op: ';', command: { argv: ['touch', '/tmp/ready'], redirects: [] } },
    { op: '&&', command: { argv: ['sleep', '3600'], redirects: [] } },
  ]],
  ['false || echo "a  b";\nexit 3', [
    { op: ';', command: { argv: ['false'], redirects: [] } },
    { op: '||', command: { argv: ['echo', 'a  b'], redirects: [] } },
    { op: ';', command: { argv: ['exit', '3'], redirects: [] } },
  ]],
  ["echo '$HOME' \"$HOME\" ${HOME}x $TWO \"$TWO\" '' \"$EMPTY\" $EMPTY", [
    { op: ';', command: { argv: ['echo', '$HOME', '/root', '/rootx', 'a', 'b', 'a b', '', ''], redirects: [] } },
  ]],
  ['echo x > /tmp/f 2>&1', [
    { op: ';', command: { argv: ['echo', 'x'], redirects: [{ fd: 1, append: false, target: { path: '/tmp/f' } }, { fd: 2, append: false, target: { fd: 1 } }] } },
  ]],
  ['cat a 2>>/tmp/err &>/dev/null', [
    { op: ';', command: { argv: ['cat', 'a'], redirects: [{ fd: 2, append: true, target: { path: '/tmp/err' } }, { fd: 0, append: false, target: { path: '/dev/null' } }] } },
  ]],
  ['echo a\\ b # a comment', [{ op: ';', command: { argv: ['echo', 'a b'], redirects: [] } }]],
])('%j', (script, expected) => {
  expect(parseScript(script, env)).toEqual({ script: expected });
});

test.each([
  ['ps | grep x', 'a pipe'],
  ['sleep 1 &', 'a background job'],
  ['(exit 1)', 'a subshell'],
  ['echo $(date)', 'command substitution'],
  ['echo `date`', 'command substitution'],
  ['while true; do :; done', 'shell keyword "while"'],
  ['echo "unterminated', 'an unterminated double quote'],
  ['echo $?', 'the special parameter $?'],
  ['&& echo', '&& without a command before it'],
  ['echo 3>x', 'redirection of file descriptor 3'],
])('%j is unsupported: %s', (script, reason) => {
  expect(parseScript(script, env)).toEqual({ unsupported: reason });
});

test('exec form is taken as it is; only sh -c is parsed', () => {
  expect(parseArgv(['echo', '$HOME', 'a|b'], env)).toEqual({ script: [{ op: ';', command: { argv: ['echo', '$HOME', 'a|b'], redirects: [] } }] });
  expect(parseArgv(['/bin/bash', '-c', 'echo $HOME', 'name'], env)).toEqual({ script: [{ op: ';', command: { argv: ['echo', '/root'], redirects: [] } }] });
});
