/**
 * `kubectl exec`, every version on the machine, through a real cluster: the
 * API server hands the upgrade to a NodeStreamProvider for `fake-node`, which
 * serves it with serveRemoteCommand. The "container" is a stand-in: the
 * command runs as a local child process (under `script` when a tty is asked
 * for, so it has a real terminal). kubectl 1.27-1.29 speak SPDY; 1.30+ speak
 * WebSocket v5 and are also run with WebSockets switched off, to take the
 * SPDY path they fall back to. @kubernetes/client-node's Exec speaks v5/v4.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
import type { NodeStreamProvider } from '../../../../kernel/api/node-streams';
import { parseRemoteCommandQuery, serveRemoteCommand } from '../../../../plugins/node-agent/streaming';
import type { RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams } from '../../../../plugins/node-agent/streaming/types';
import { startCluster, type TestCluster } from '../../../support/cluster';
import { ApiHttp } from '../../../support/http';
import { kubectlFor, kubectlVersions, type Kubectl, type KubectlRunner } from '../../../support/kubectl';
import { waitFor } from './support';

const NAMESPACE = 'streaming';
const POD = 'shell';
const versions = kubectlVersions();
const work = mkdtempSync(path.join(os.tmpdir(), 'skiff-exec-'));

interface TerminalSize {
  width: number;
  height: number;
}

/** What the provider saw of one exec. */
interface Session {
  readonly upgrade: string;
  /** The protocol versions the client offered, in its order. */
  readonly offered: string[];
  readonly options: RemoteCommandRequest;
  /** Every size the client sent. */
  readonly sizes: TerminalSize[];
  /** Sizes after the first, once applied to the stand-in's terminal. */
  readonly applied: TerminalSize[];
}

const sessions: Session[] = [];
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
  const http = new ApiHttp(cluster);
  try {
    expect((await http.post('/api/v1/namespaces', { metadata: { name: NAMESPACE } })).status).toBe(201);
    const pod = await http.post(`/api/v1/namespaces/${NAMESPACE}/pods`, {
      metadata: { name: POD },
      // Bound to the node whose provider this test registers; no agent runs it, nothing else looks at it.
      spec: { nodeName: 'fake-node', containers: [{ name: 'main', image: 'busybox' }] },
    });
    expect(pod.status).toBe(201);
  } finally {
    http.close();
  }
  const provider: NodeStreamProvider = {
    logs: () => Promise.reject(new Error('this test serves exec only')),
    connect(kind, _target, query, request, socket, head) {
      if (kind === 'portforward') throw new Error('this test serves exec and attach only');
      const options = parseRemoteCommandQuery(query, kind);
      const upgrade = String(request.headers.upgrade ?? '');
      const offered = (request.headersDistinct[upgrade.toLowerCase() === 'websocket' ? 'sec-websocket-protocol' : 'x-stream-protocol-version'] ?? []).flatMap((v) => v.split(',').map((p) => p.trim()));
      const session: Session = { upgrade, offered, options, sizes: [], applied: [] };
      sessions.push(session);
      serveRemoteCommand(request, socket, head, options, (streams) => standInContainer(options, streams, session));
    },
  };
  cluster.kernel.nodeStreams.register('fake-node', provider);
});

afterAll(async () => {
  await cluster?.destroy();
});

// ---------------------------------------------------------------- the stand-in container

const run = promisify(execFile);

function shellQuote(args: readonly string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/**
 * A stand-in for a container: runs the command as a local child process
 * wired to the session's streams. With a tty it runs under `script`, whose
 * pseudo-terminal starts at the client's first size; later sizes are set on
 * that terminal with `stty -F`, which signals SIGWINCH to the command as a
 * container runtime's resize would.
 */
async function standInContainer(options: RemoteCommandRequest, streams: RemoteCommandStreams, session: Session): Promise<RemoteCommandResult> {
  let argv = [...options.command];
  let terminal: string | undefined;
  if (streams.tty) {
    const ttyFile = path.join(mkdtempSync(path.join(work, 'tty-')), 'name');
    let started = false;
    // In arrival order, as a runtime applies them: `stty rows 50 cols 120` outside is two changes, and kubectl may send both.
    let resizing = Promise.resolve();
    streams.onResize((size) => {
      session.sizes.push(size);
      // A failure shows as the size never being applied, which the test waits for and reports.
      if (started) resizing = resizing.then(() => resizeTerminal(ttyFile, size, session)).catch(() => undefined);
    });
    const first = await waitFor('the client\'s initial terminal size', () => session.sizes[0], 10_000);
    started = true;
    terminal = `stty rows ${first.height} cols ${first.width}; tty > ${ttyFile}; exec ${shellQuote(argv)}`;
    argv = ['script', '-qfec', terminal, '/dev/null'];
  }
  const child = spawn(argv[0], argv.slice(1), { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' } });
  const kill = () => child.kill('SIGKILL');
  streams.signal.addEventListener('abort', kill);
  // The command may exit without reading its input.
  child.stdin.on('error', () => undefined);
  if (streams.stdin) streams.stdin.pipe(child.stdin);
  else child.stdin.end();
  if (streams.stdout) child.stdout.pipe(streams.stdout, { end: false });
  else child.stdout.resume();
  const errorOutput = streams.stderr ?? (streams.tty ? streams.stdout : undefined);
  if (errorOutput) child.stderr.pipe(errorOutput, { end: false });
  else child.stderr.resume();
  try {
    return await new Promise<RemoteCommandResult>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        resolve({ error: err.code === 'ENOENT' ? `exec: "${argv[0]}": executable file not found in $PATH` : err.message }),
      );
      child.once('close', (code, signal) => resolve({ exitCode: code ?? 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0) }));
    });
  } finally {
    streams.signal.removeEventListener('abort', kill);
  }
}

async function resizeTerminal(ttyFile: string, size: TerminalSize, session: Session): Promise<void> {
  const device = await waitFor('the stand-in\'s terminal', () => existsSync(ttyFile) && readFileSync(ttyFile, 'utf8').trim());
  await run('stty', ['-F', device, 'rows', String(size.height), 'cols', String(size.width)]);
  session.applied.push(size);
}

// ---------------------------------------------------------------- kubectl

/** Run one kubectl and return what it printed, with the session it opened. */
async function exec(k: KubectlRunner, args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const before = sessions.length;
  const result = await k.run(['-n', NAMESPACE, 'exec', ...args], { ...options, timeoutMs: 20_000 });
  return { ...result, session: sessions.length > before ? sessions[before] : undefined };
}

const WEBSOCKETS_OFF = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
const WEBSOCKETS_ON = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' };
const STDIN = Array.from({ length: 8000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}\n`).join('');

function minor(version: string): number {
  return Number(version.split('.')[1]);
}

describe.each(versions.map((v) => [v.version, v] as const))('kubectl %s', (version, binary: Kubectl) => {
  const k = () => kubectlFor(binary, cluster.kubeconfig);
  // 1.29 added v5 to its SPDY offer (a kubelet treats it as v4 there) and WebSockets behind a switch, on by default from 1.30.
  const spdyOffer = [...(minor(version) >= 29 ? ['v5.channel.k8s.io'] : []), 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
  const modes: Array<{ name: string; env?: Record<string, string>; transport: 'websocket' | 'spdy'; offered: string[] }> =
    minor(version) >= 30
      ? [
          { name: 'WebSocket', transport: 'websocket', offered: ['v5.channel.k8s.io'] },
          { name: 'SPDY (WebSockets off)', env: WEBSOCKETS_OFF, transport: 'spdy', offered: spdyOffer },
        ]
      : minor(version) === 29
        ? [
            { name: 'SPDY', transport: 'spdy', offered: spdyOffer },
            { name: 'WebSocket (switched on)', env: WEBSOCKETS_ON, transport: 'websocket', offered: ['v5.channel.k8s.io'] },
          ]
        : [{ name: 'SPDY', transport: 'spdy', offered: spdyOffer }];

  describe.each(modes.map((m) => [m.name, m] as const))('%s', (_name, mode) => {
    let kubectl: KubectlRunner;
    beforeAll(() => {
      kubectl = k();
    });

    test('stdout and stderr arrive apart', async () => {
      const r = await exec(kubectl, [POD, '--', 'sh', '-c', 'echo out; echo err >&2'], { env: mode.env });
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });
      expect(r.session).toMatchObject({ offered: mode.offered, options: { command: ['sh', '-c', 'echo out; echo err >&2'], container: 'main', stdin: false, stdout: true, stderr: true, tty: false } });
      expect(r.session!.upgrade.toLowerCase()).toBe(mode.transport === 'websocket' ? 'websocket' : 'spdy/3.1');
    });

    test('stdin piped to cat comes back whole, and its end ends cat', async () => {
      const r = await exec(kubectl, ['-i', POD, '--', 'cat'], { input: STDIN, env: mode.env });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.length).toBe(STDIN.length);
      expect(r.stdout).toBe(STDIN);
      expect(r.session?.options.stdin).toBe(true);
    });

    test('a non-zero exit code becomes kubectl\'s', async () => {
      const r = await exec(kubectl, [POD, '--', 'sh', '-c', 'exit 3'], { env: mode.env });
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 3, stdout: '', stderr: 'command terminated with exit code 3\n' });
    });

    test('a failure to run is reported in the Status\'s words', async () => {
      const r = await exec(kubectl, [POD, '--', 'no-such-command'], { env: mode.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('error: Internal error occurred: exec: "no-such-command": executable file not found in $PATH\n');
    });

    test('-it under a pseudo-terminal: the command has a tty of the client\'s size, and a resize reaches it', async () => {
      const dir = mkdtempSync(path.join(work, 'pty-'));
      const fifo = path.join(dir, 'resize');
      await run('mkfifo', [fifo]);
      const command = `${binary.binary} --kubeconfig ${cluster.kubeconfig} --cache-dir ${dir}/cache -n ${NAMESPACE} exec -it ${POD} -- sh -c 'stty size; read line; stty size; echo "got:$line"'`;
      // Outside: a 40x100 terminal for kubectl; on a word through the fifo, it becomes 50x120 (kubectl gets SIGWINCH).
      const outer = `stty rows 40 cols 100; (read go < ${fifo}; stty rows 50 cols 120 < /dev/tty) & ${command}`;
      const before = sessions.length;
      const script = spawn('script', ['-qec', outer, '/dev/null'], { stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TERM: 'xterm', ...mode.env } });
      let output = '';
      script.stdout.on('data', (d: Buffer) => (output += d.toString()));
      script.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => script.once('close', resolve));
      try {
        await waitFor(`the command's first "stty size" (output so far: ${JSON.stringify(output)})`, () => output.includes('40 100'), 15_000);
        const session = sessions[before];
        await run('sh', ['-c', `echo go > ${fifo}`], { timeout: 5_000 });
        await waitFor('the new size to reach the stand-in\'s terminal', () => session.applied.some((s) => s.width === 120 && s.height === 50), 10_000);
        script.stdin.write('hello\r');
        expect(await exited).toBe(0);
        expect(output).toMatch(/40 100\r\n[\s\S]*50 120\r\ngot:hello\r\n/);
        expect(session.options).toMatchObject({ stdin: true, stdout: true, stderr: false, tty: true });
        expect(session.sizes[0]).toEqual({ width: 100, height: 40 });
        expect(session.upgrade.toLowerCase()).toBe(mode.transport === 'websocket' ? 'websocket' : 'spdy/3.1');
      } finally {
        script.kill('SIGKILL');
      }
    });
  });
});

describe('@kubernetes/client-node Exec', () => {
  function kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    return kc;
  }

  function text(stream: PassThrough): () => string {
    let t = '';
    stream.on('data', (d: Buffer) => (t += d.toString()));
    return () => t;
  }

  test('v5: stdin ends with CLOSE, the exit code comes back in the Status', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = text(stdout);
    const err = text(stderr);
    let protocol = '';
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kubeConfig())
        .exec(NAMESPACE, POD, 'main', ['sh', '-c', 'cat; echo done >&2; exit 4'], stdout, stderr, Readable.from(['from ', 'client-node\n']), false, resolve)
        .then((ws) => (protocol = ws.protocol), reject);
    });
    expect(protocol).toBe('v5.channel.k8s.io');
    expect(out()).toBe('from client-node\n');
    expect(err()).toBe('done\n');
    expect(status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c cat; echo done >&2; exit 4], exit code 4',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
  });

  test('v4 (when it is all the client offers): output and Status', async () => {
    const kc = kubeConfig();
    const v4Only = new WebSocketHandler(kc, (uri: string, _protocols: string[], opts: WebSocket.ClientOptions) => new WebSocket(uri, ['v4.channel.k8s.io'], opts) as never);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = text(stdout);
    const err = text(stderr);
    let protocol = '';
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(kc, v4Only)
        .exec(NAMESPACE, POD, 'main', ['sh', '-c', 'echo out; echo err >&2'], stdout, stderr, null, false, resolve)
        .then((ws) => (protocol = ws.protocol), reject);
    });
    expect(protocol).toBe('v4.channel.k8s.io');
    expect(out()).toBe('out\n');
    expect(err()).toBe('err\n');
    expect(status).toEqual({ metadata: {}, status: 'Success' });
  });
});

describe('through the API server', () => {
  test('an exec with no stream at all is refused before any upgrade: 400 in the kubelet\'s words', async () => {
    const http = new ApiHttp(cluster);
    try {
      const before = sessions.length;
      const answer = await http.upgrade('POST', `/api/v1/namespaces/${NAMESPACE}/pods/${POD}/exec?command=ls&stdin=false`, {
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
      });
      if (answer.upgraded) throw new Error('the request was upgraded');
      expect(answer.response.status).toBe(400);
      expect(answer.response.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' });
      expect(sessions.length).toBe(before);
    } finally {
      http.close();
    }
  });
});
