/**
 * remotecommand over WebSocket with the `ws` client: subprotocol choice, the
 * channels of each version, the end of a session, and the client going away.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../../../../plugins/node-agent/streaming/websocket';
import type { RemoteCommandStreams } from '../../../../plugins/node-agent/streaming/types';
import { rawUpgrade, readToEnd, startUpgradeServer, waitFor, type Handler, type UpgradeServer } from './support';

let server: UpgradeServer;
let handler: Handler;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  server = await startUpgradeServer(() => handler);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await server.close();
});

/** A client recording every message and how the connection closed. */
class WsTestClient {
  readonly messages: Array<{ data: Buffer; binary: boolean }> = [];
  closeCode?: number;
  private pongs = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => this.messages.push({ data, binary }));
    ws.on('close', (code) => (this.closeCode = code));
    ws.on('pong', () => this.pongs++);
    ws.on('error', () => undefined);
  }

  static async connect(query: string, protocols: string[]): Promise<WsTestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/v1/namespaces/ns/pods/p/exec?${query}`, protocols);
    const client = new WsTestClient(ws);
    clients.push(client);
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
    return client;
  }

  send(channel: number, data: Buffer | string): void {
    this.ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(data)]));
  }

  /** The concatenated payloads of a binary channel. */
  channel(n: number): string {
    return Buffer.concat(this.messages.filter((m) => m.binary && m.data[0] === n).map((m) => m.data.subarray(1))).toString();
  }

  /** A ping round trip: the server handles messages in order, so everything sent before has been handled. */
  async barrier(): Promise<void> {
    const before = this.pongs;
    this.ws.ping();
    await waitFor('a pong', () => this.pongs > before);
  }

  closed(): Promise<number> {
    return waitFor('the connection to close', () => this.closeCode);
  }
}

function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    if (!stream) return resolve(text);
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
  });
}

describe('subprotocol', () => {
  test.each([
    [['v5.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v4.channel.k8s.io', 'v5.channel.k8s.io'], 'v4.channel.k8s.io'],
    [['v7.channel.k8s.io', 'v2.channel.k8s.io'], 'v2.channel.k8s.io'],
    [['base64.channel.k8s.io'], 'base64.channel.k8s.io'],
    [[], ''],
  ])('offered %j: %j (the client\'s order decides)', async (offered, chosen) => {
    handler = async () => ({ exitCode: 0 });
    const client = await WsTestClient.connect('command=true&stdout=true', offered);
    expect(client.ws.protocol).toBe(chosen);
    expect(await client.closed()).toBe(1000);
  });

  test('none we speak: 403 with the kubelet\'s message (kubectl then falls back to SPDY)', async () => {
    const { socket, answer } = await rawUpgrade(
      server.port,
      '/exec?command=true&stdout=true',
      { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v9.channel.k8s.io, x' },
      'GET',
    );
    expect(answer.status).toBe(403);
    expect(await readToEnd(socket, answer.rest)).toBe(
      'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io x], server accepts [v5.channel.k8s.io v4.channel.k8s.io v4.base64.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io base64.channel.k8s.io]\n',
    );
  });
});

describe('a session', () => {
  test('v5: stdin until CLOSE, stdout and stderr on their channels, the Status as one message, then a normal close', async () => {
    handler = async (streams) => {
      const input = await collect(streams.stdin);
      streams.stdout?.write(input.toUpperCase());
      streams.stderr?.write('warning');
      return { exitCode: 2 };
    };
    const client = await WsTestClient.connect('command=sh&command=-c&command=exit%202&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    client.send(0, 'abc ');
    client.send(0, 'def');
    client.ws.send(Buffer.of(255, 0));
    expect(await client.closed()).toBe(1000);
    expect(client.channel(1)).toBe('ABC DEF');
    expect(client.channel(2)).toBe('warning');
    const status = client.messages.filter((m) => m.data[0] === 3);
    expect(status).toHaveLength(1);
    expect(JSON.parse(status[0].data.subarray(1).toString())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '2' }] },
    });
    expect(client.messages.at(-1)?.data[0]).toBe(3);
  });

  test('v4 has no CLOSE: 255 is ignored and stdin stays open until the connection ends', async () => {
    let stdinEnded = false;
    let streams!: RemoteCommandStreams;
    handler = (s) =>
      new Promise((resolve) => {
        streams = s;
        s.stdin?.on('end', () => (stdinEnded = true)).resume();
        s.signal.addEventListener('abort', () => resolve({ exitCode: 0 }));
      });
    const client = await WsTestClient.connect('command=cat&stdin=true&stdout=true', ['v4.channel.k8s.io']);
    client.ws.send(Buffer.of(255, 0));
    await client.barrier();
    await waitFor('the handler to start', () => streams);
    expect(stdinEnded).toBe(false);
    client.ws.close();
    await waitFor('the signal to abort', () => streams.signal.aborted);
    expect(stdinEnded).toBe(true);
  });

  test('v1 (channel.k8s.io): no Status message on success, the message text on failure', async () => {
    handler = async () => ({ exitCode: 0 });
    const ok = await WsTestClient.connect('command=true&stdout=true', ['channel.k8s.io']);
    await ok.closed();
    expect(ok.messages.filter((m) => m.data[0] === 3)).toEqual([]);

    handler = async () => ({ error: 'no such container' });
    const failed = await WsTestClient.connect('command=true&stdout=true', ['channel.k8s.io']);
    await failed.closed();
    expect(failed.channel(3)).toBe('Internal error occurred: no such container');
  });

  test('base64 framing: text messages, the channel as a digit, the payload in base64', async () => {
    handler = async (streams) => {
      const [first] = (await once(streams.stdin!, 'data')) as [Buffer];
      streams.stdout?.write(first.toString().toUpperCase());
      return { exitCode: 1 };
    };
    const client = await WsTestClient.connect('command=cat&stdin=true&stdout=true', ['base64.channel.k8s.io']);
    client.ws.send('0' + Buffer.from('héllo').toString('base64'));
    expect(await client.closed()).toBe(1000);
    expect(client.messages.map((m) => [m.binary, m.data.toString()])).toEqual([
      [false, '1' + Buffer.from('HÉLLO').toString('base64')],
      [false, '3' + Buffer.from('command terminated with non-zero exit code: error executing command [cat], exit code 1').toString('base64')],
    ]);
  });

  test('base64 framing round trip through the codec', () => {
    const protocol = { name: 'base64.channel.k8s.io', version: 1, base64: true };
    const message = encodeMessage(protocol, 1, Buffer.from('héllo'));
    expect(message).toBe('1' + Buffer.from('héllo').toString('base64'));
    expect(decodeMessage(protocol, Buffer.from(message as string), false)).toEqual({ channel: 1, payload: Buffer.from('héllo') });
    const binary = { name: 'v5.channel.k8s.io', version: 5, base64: false };
    expect(encodeMessage(binary, 2, Buffer.from('x'))).toEqual(Buffer.from([2, 0x78]));
    // Binary protocols take binary messages only; empty ones carry nothing.
    expect(decodeMessage(binary, Buffer.from('1abc'), false)).toBeUndefined();
    expect(decodeMessage(binary, Buffer.alloc(0), true)).toBeUndefined();
  });

  test('resize on channel 4 reaches the handler with a tty; there is no stderr', async () => {
    const sizes: Array<{ width: number; height: number }> = [];
    let streams!: RemoteCommandStreams;
    handler = (s) =>
      new Promise((resolve) => {
        streams = s;
        s.onResize((size) => {
          sizes.push(size);
          if (sizes.length === 2) resolve({ exitCode: 0 });
        });
      });
    const client = await WsTestClient.connect('command=sh&stdin=true&stdout=true&stderr=true&tty=true', ['v5.channel.k8s.io']);
    client.send(4, '{"Width":80,"Height":24}\n');
    client.send(4, '{"Width":132,"Height":43}\n');
    expect(await client.closed()).toBe(1000);
    expect(streams.tty).toBe(true);
    expect(streams.stderr).toBeUndefined();
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 132, height: 43 },
    ]);
  });

  test('without a tty resize messages are ignored', async () => {
    const sizes: unknown[] = [];
    handler = async (streams) => {
      streams.onResize((size) => sizes.push(size));
      await collect(streams.stdin);
      return { exitCode: 0 };
    };
    const client = await WsTestClient.connect('command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io']);
    client.send(4, '{"Width":80,"Height":24}');
    client.ws.send(Buffer.of(255, 0));
    await client.closed();
    expect(sizes).toEqual([]);
  });

  test('a handler that throws ends the session with an internal error', async () => {
    handler = () => Promise.reject(new Error('no runtime'));
    const client = await WsTestClient.connect('command=true&stdout=true', ['v5.channel.k8s.io']);
    expect(await client.closed()).toBe(1000);
    expect(JSON.parse(client.channel(3))).toMatchObject({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: no runtime' });
  });

  test('a handler that returns something else is reported too', async () => {
    handler = (async () => 'done') as unknown as Handler;
    const client = await WsTestClient.connect('command=true&stdout=true', ['v5.channel.k8s.io']);
    await client.closed();
    expect(JSON.parse(client.channel(3)).message).toBe('Internal error occurred: the exec handler returned "done", not { exitCode } or { error }');
  });
});

describe('the client going away, and back-pressure', () => {
  test('a disconnect aborts the signal; the server socket is closed', async () => {
    let streams!: RemoteCommandStreams;
    handler = (s) =>
      new Promise((resolve) => {
        streams = s;
        s.signal.addEventListener('abort', () => resolve({ exitCode: 137 }));
      });
    const client = await WsTestClient.connect('command=sleep&stdout=true', ['v5.channel.k8s.io']);
    await waitFor('the handler to start', () => streams);
    const serverSocket = server.sockets.at(-1)!;
    client.ws.terminate();
    await waitFor('the signal to abort', () => streams.signal.aborted);
    await waitFor('the server socket to close', () => serverSocket.destroyed);
  });

  test('after a normal end the server socket is closed and stdin released', async () => {
    let streams!: RemoteCommandStreams;
    handler = async (s) => {
      streams = s;
      return { exitCode: 0 };
    };
    const client = await WsTestClient.connect('command=true&stdin=true&stdout=true', ['v5.channel.k8s.io']);
    await client.closed();
    const serverSocket = server.sockets.at(-1)!;
    await waitFor('the server socket to close', () => serverSocket.destroyed);
    expect(streams.stdin?.destroyed).toBe(true);
    expect(streams.signal.aborted).toBe(false);
  });

  test('stdout writes wait for a client that does not read', async () => {
    let bytesAccepted = 0;
    let blocked = false;
    handler = async (streams) => {
      // Smaller than the streams' 64 KiB buffer: only a stalled socket can make write() say wait.
      const chunk = Buffer.alloc(16 * 1024, 0x63);
      while (bytesAccepted < 256 * 1024 * 1024) {
        bytesAccepted += chunk.length;
        if (!streams.stdout!.write(chunk)) {
          blocked = true;
          await new Promise((resolve) => streams.stdout!.once('drain', resolve));
          break;
        }
      }
      return { exitCode: 0 };
    };
    const client = await WsTestClient.connect('command=yes&stdout=true', ['v5.channel.k8s.io']);
    client.ws.pause();
    await waitFor('the handler to be told to wait', () => blocked);
    expect(bytesAccepted).toBeLessThan(32 * 1024 * 1024);
    client.ws.resume();
    expect(await client.closed()).toBe(1000);
    expect(client.channel(1).length).toBe(bytesAccepted);
  });
});
