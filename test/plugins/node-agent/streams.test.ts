/**
 * The node's stream provider: which instance `logs` and `logs --previous`
 * read (and Kubernetes' answers when there is none), log options passed to
 * the runtime, and exec/attach handed to the streaming protocols with the
 * running container (or `container not found ("x")`).
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodLogOptions, PodStreamTarget } from '../../../kernel/api/node-streams';
import type { RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams } from '../../../plugins/node-agent/streaming/types';
import { harness, type Harness } from './support';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const LOG: PodLogOptions = { follow: false, previous: false, timestamps: false };

function target(pod: Pod, container = 'app'): PodStreamTarget {
  return { namespace: 'default', pod: pod.metadata!.name!, uid: pod.metadata!.uid!, nodeName: 'node-a', container, object: pod };
}

async function logs(pod: Pod, options: Partial<PodLogOptions> = {}, container = 'app'): Promise<string> {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  await h.agent.streams.logs(target(pod, container), { ...LOG, ...options }, out, new AbortController().signal);
  return text;
}

test('logs read the current instance; --previous the one before it; tailLines reaches the runtime', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  const first = h.runtime.newest('web', 'app')!;
  first.logs.push('one', 'two', 'three');
  expect(await logs(await h.pod('web'))).toBe('one\ntwo\nthree\n');
  expect(await logs(await h.pod('web'), { tailLines: 1 })).toBe('three\n');
  await expect(logs(await h.pod('web'), { previous: true })).rejects.toMatchObject({ code: 400, message: 'previous terminated container "app" in pod "web" not found' });

  h.runtime.exit(first.id, 1);
  await h.advance(1000);
  const second = h.runtime.newest('web', 'app')!;
  expect(second.id).not.toBe(first.id);
  second.logs.push('restarted');
  const pod = await h.pod('web');
  expect(await logs(pod)).toBe('restarted\n');
  expect(await logs(pod, { previous: true })).toBe('one\ntwo\nthree\n');
});

test('a crash-looping container\'s log is its last run', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 1'] }] });
  await h.advance(3000);
  const pod = await h.pod('web');
  expect(pod.status!.containerStatuses![0].state!.waiting!.reason).toBe('CrashLoopBackOff');
  h.runtime.newest('web', 'app')!.logs.push('last words');
  expect(await logs(pod)).toBe('last words\n');
});

test('a container that never ran: "waiting to start" with the reason, as the kubelet says it', async () => {
  h = await harness();
  h.runtime.pullResults.set('nope:1.0', 'notfound');
  await h.createPod('web', { containers: [{ name: 'app', image: 'nope:1.0' }] });
  await expect(logs(await h.pod('web'))).rejects.toMatchObject({ code: 400, message: 'container "app" in pod "web" is waiting to start: image can\'t be pulled' });
  await h.advance(1000);
  await expect(logs(await h.pod('web'))).rejects.toMatchObject({ message: 'container "app" in pod "web" is waiting to start: trying and failing to pull image' });
});

/** The streaming protocols as a test double: records the request and runs the handler with in-memory streams. */
function fakeProtocols() {
  const seen: { request?: RemoteCommandRequest; result?: RemoteCommandResult; output: string } = { output: '' };
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  return {
    seen,
    done,
    protocols: {
      parseRemoteCommandQuery: (query: URLSearchParams) => ({
        command: query.getAll('command'),
        container: query.get('container') ?? '',
        stdin: query.get('stdin') === 'true',
        stdout: true,
        stderr: true,
        tty: false,
      }),
      serveRemoteCommand: (_req: IncomingMessage, _socket: unknown, _head: Buffer, request: RemoteCommandRequest, handler: (s: RemoteCommandStreams) => Promise<RemoteCommandResult>) => {
        seen.request = request;
        const stdout = new PassThrough();
        stdout.on('data', (d: Buffer) => (seen.output += d.toString()));
        void handler({ stdout, stderr: stdout, tty: false, onResize: () => undefined, signal: new AbortController().signal }).then((r) => {
          seen.result = r;
          finished();
        });
      },
    },
  };
}

test('exec runs the command in the running container and reports its exit code; a stopped container is "not found"', async () => {
  let fake = fakeProtocols();
  // One protocol double per session, swapped between sessions.
  const protocols = {
    parseRemoteCommandQuery: (q: URLSearchParams) => fake.protocols.parseRemoteCommandQuery(q),
    serveRemoteCommand: (...args: Parameters<ReturnType<typeof fakeProtocols>['protocols']['serveRemoteCommand']>) => fake.protocols.serveRemoteCommand(...args),
  };
  h = await harness({ agent: { protocols: protocols as never } });
  h.runtime.execHandler = (_c, command) => ({ exitCode: 3, output: `ran ${command.join(' ')}\n` });
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  await h.createPod('done', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'exit 0'] }] });
  const query = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', 'exit 3'], ['container', 'app']]);
  h.agent.streams.connect('exec', target(await h.pod('web')), query, {} as IncomingMessage, new PassThrough(), Buffer.alloc(0));
  await fake.done;
  expect(fake.seen.request).toMatchObject({ command: ['sh', '-c', 'exit 3'], container: 'app' });
  expect(fake.seen.result).toEqual({ exitCode: 3 });
  expect(fake.seen.output).toBe('ran sh -c exit 3\n');
  expect(h.runtime.execs).toEqual(['web/app: sh -c exit 3']);

  fake = fakeProtocols();
  h.agent.streams.connect('exec', target(await h.pod('done')), query, {} as IncomingMessage, new PassThrough(), Buffer.alloc(0));
  await fake.done;
  expect(fake.seen.result).toEqual({ error: 'container not found ("app")' });
});

test('port forwarding is refused with a Status on the connection', async () => {
  h = await harness();
  await h.createPod('web', { containers: [{ name: 'app', image: 'busybox' }] });
  const socket = new PassThrough();
  let written = '';
  socket.on('data', (d: Buffer) => (written += d.toString()));
  h.agent.streams.connect('portforward', target(await h.pod('web')), new URLSearchParams(), {} as IncomingMessage, socket, Buffer.alloc(0));
  await new Promise((r) => setImmediate(r));
  expect(written).toMatch(/^HTTP\/1\.1 400 BadRequest\r\n/);
  expect(written).toContain('"message":"port forwarding is not supported by the node agent on node-a"');
});
