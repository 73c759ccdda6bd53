/**
 * remotecommand over SPDY against a test client that speaks the frames
 * kubectl's spdystream sends: negotiation, stream set-up, the end of a
 * session, and what happens when either side misbehaves.
 */
import { FrameType, GoAwayStatus, RstStatus, controlFrame, dataFrame, pingFrame, rstStreamFrame } from '../../../../plugins/node-agent/streaming/spdy/frames';
import type { RemoteCommandStreams } from '../../../../plugins/node-agent/streaming/types';
import { SpdyTestClient, readToEnd, rawUpgrade, startUpgradeServer, waitFor, type Handler, type UpgradeServer } from './support';

let server: UpgradeServer;
let handler: Handler;
const clients: SpdyTestClient[] = [];

beforeAll(async () => {
  server = await startUpgradeServer(() => handler);
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await server.close();
});

async function connect(query: string, offer?: readonly string[], port = server.port): Promise<SpdyTestClient> {
  const client = await SpdyTestClient.connect(port, query, offer);
  clients.push(client);
  return client;
}

/** A PING round trip: the server handles frames in order, so everything sent before it has been handled. */
async function barrier(client: SpdyTestClient, id: number): Promise<void> {
  client.socket.write(pingFrame(id));
  await waitFor(`PING ${id} echoed`, () => client.controlFrames(FrameType.Ping).some((f) => f.payload.readUInt32BE(0) === id));
}

function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    if (!stream) return resolve(text);
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
  });
}

describe('negotiation', () => {
  test.each([
    [['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], 'v4.channel.k8s.io'],
    [['v5.channel.k8s.io', 'v4.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v3.channel.k8s.io', 'v4.channel.k8s.io'], 'v3.channel.k8s.io'],
    [['v9.channel.k8s.io', 'channel.k8s.io'], 'channel.k8s.io'],
  ])('offered %j: 101 with %s (the client\'s order decides)', async (offer, chosen) => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=true&stdout=true', offer);
    expect(client.answer.status).toBe(101);
    expect(client.answer.headers.get('upgrade')).toEqual(['SPDY/3.1']);
    expect(client.answer.headers.get('connection')).toEqual(['Upgrade']);
    expect(client.answer.headers.get('x-stream-protocol-version')).toEqual([chosen]);
  });

  test('repeated headers joined with commas (by Node or a proxy) are split', async () => {
    const client = await connect('command=true&stdout=true', ['v9.channel.k8s.io, v3.channel.k8s.io']);
    expect(client.answer.headers.get('x-stream-protocol-version')).toEqual(['v3.channel.k8s.io']);
  });

  test('no common version: 403, the accepted versions, the kubelet\'s message', async () => {
    const { socket, answer } = await rawUpgrade(server.port, '/exec?command=true&stdout=true', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': ['v9.channel.k8s.io', 'v8.channel.k8s.io'] });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-accepted-stream-protocol-versions')).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']);
    expect(answer.headers.get('content-type')).toEqual(['text/plain; charset=utf-8']);
    expect(await readToEnd(socket, answer.rest)).toBe(
      'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io v8.channel.k8s.io], server accepts [v5.channel.k8s.io v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n',
    );
  });

  test('no version offered: 400', async () => {
    const { socket, answer } = await rawUpgrade(server.port, '/exec?command=true&stdout=true', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' });
    expect(answer.status).toBe(400);
    expect(await readToEnd(socket, answer.rest)).toBe('unable to upgrade: X-Stream-Protocol-Version is required\n');
  });

  test('an upgrade to neither WebSocket nor SPDY/3.1: 400', async () => {
    const { socket, answer } = await rawUpgrade(server.port, '/exec?command=true&stdout=true', { Connection: 'Upgrade', Upgrade: 'h2c' });
    expect(answer.status).toBe(400);
    expect(await readToEnd(socket, answer.rest)).toMatch(/^unable to upgrade: missing upgrade headers in request: Upgrade: "h2c"/);
  });
});

describe('a session', () => {
  test('the command starts once every requested stream is open, not before', async () => {
    let started = false;
    handler = async () => {
      started = true;
      return { exitCode: 0 };
    };
    const client = await connect('command=true&stdin=true&stdout=true&stderr=true');
    for (const type of ['error', 'stdin', 'stdout']) await client.open(type);
    await barrier(client, 1);
    expect(started).toBe(false);
    await client.open('stderr');
    await waitFor('the handler to start', () => started);
  });

  test('stdin in, stdout and stderr out, then the Status, FIN on every stream, GOAWAY; the server waits for the client to hang up', async () => {
    let seen: RemoteCommandStreams | undefined;
    handler = async (streams) => {
      seen = streams;
      const input = await collect(streams.stdin);
      streams.stdout?.write(input.toUpperCase());
      streams.stderr?.write('to stderr');
      return { exitCode: 3 };
    };
    const client = await connect('command=sh&command=-c&command=exit%203&stdin=true&stdout=true&stderr=true');
    for (const type of ['error', 'stdin', 'stdout', 'stderr']) await client.open(type);
    client.send('stdin', 'hello ');
    client.send('stdin', 'world', true);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
    expect(seen).toMatchObject({ tty: false });
    expect(client.text('stdout')).toBe('HELLO WORLD');
    expect(client.text('stderr')).toBe('to stderr');
    expect(JSON.parse(client.text('error'))).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    for (const type of ['stdout', 'stderr', 'stdin']) expect(client.isFinished(type)).toBe(true);
    const goAway = await waitFor('GOAWAY', () => client.controlFrames(FrameType.GoAway)[0]);
    expect([goAway.payload.readUInt32BE(0), goAway.payload.readUInt32BE(4)]).toEqual([7, GoAwayStatus.Ok]);
    // The status went out before the FIN on the error stream, and stdout's data before its FIN.
    const errorId = client.byType.get('error');
    const errorFrames = client.frames.filter((f) => f.kind === 'data' && f.streamId === errorId);
    expect(errorFrames.at(-1)).toMatchObject({ flags: 1, payload: Buffer.alloc(0) });
    const serverSocket = server.sockets.at(-1)!;
    await barrier(client, 3);
    expect(serverSocket.destroyed).toBe(false);
    client.close();
    await waitFor('the server to close its socket', () => serverSocket.destroyed);
  });

  test('stdin beyond 64 KiB flows without WINDOW_UPDATE, as between spdystream peers', async () => {
    handler = async (streams) => {
      const input = await collect(streams.stdin);
      streams.stdout?.write(String(input.length));
      return { exitCode: 0 };
    };
    const client = await connect('command=wc&stdin=true&stdout=true');
    for (const type of ['error', 'stdin', 'stdout']) await client.open(type);
    for (let i = 0; i < 40; i++) client.send('stdin', Buffer.alloc(32 * 1024, 0x61));
    client.send('stdin', '', true);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
    expect(client.text('stdout')).toBe(String(40 * 32 * 1024));
    expect(client.text('error')).toBe('{"metadata":{},"status":"Success"}');
  });

  test('output larger than a frame is cut into 32 KiB data frames', async () => {
    handler = async (streams) => {
      streams.stdout?.end(Buffer.alloc(100 * 1024, 0x62));
      return { exitCode: 0 };
    };
    const client = await connect('command=yes&stdout=true');
    for (const type of ['error', 'stdout']) await client.open(type);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
    const stdoutId = client.byType.get('stdout');
    const sizes = client.frames.filter((f) => f.kind === 'data' && f.streamId === stdoutId).map((f) => f.payload.length);
    expect(sizes).toEqual([32768, 32768, 32768, 4096, 0]);
  });

  test('with a tty: no stderr stream, a resize stream (v3+), sizes reach the handler', async () => {
    const sizes: Array<{ width: number; height: number }> = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    handler = async (streams) => {
      streams.onResize((s) => sizes.push(s));
      expect(streams.stderr).toBeUndefined();
      await released;
      return { exitCode: 0 };
    };
    const client = await connect('command=sh&stdin=true&stdout=true&stderr=true&tty=true');
    for (const type of ['error', 'stdin', 'stdout', 'resize']) await client.open(type);
    client.send('resize', '{"Width":80,"Height":24}\n{"Width":100,');
    client.send('resize', '"Height":40}\n');
    await waitFor('two sizes', () => sizes.length === 2);
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 100, height: 40 },
    ]);
    release();
    await waitFor('the error stream to finish', () => client.isFinished('error'));
  });

  test('with a tty under v2 there is no resize stream to wait for', async () => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=sh&stdout=true&tty=true', ['v2.channel.k8s.io']);
    for (const type of ['error', 'stdout']) await client.open(type);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
  });

  test('v1-v3: nothing on the error stream on success, the message on failure', async () => {
    handler = async () => ({ exitCode: 0 });
    const ok = await connect('command=true&stdout=true', ['v3.channel.k8s.io']);
    for (const type of ['error', 'stdout']) await ok.open(type);
    await waitFor('the error stream to finish', () => ok.isFinished('error'));
    expect(ok.text('error')).toBe('');

    handler = async () => ({ error: 'container "app" is not running' });
    const failed = await connect('command=true&stdout=true', ['channel.k8s.io']);
    for (const type of ['error', 'stdout']) await failed.open(type);
    await waitFor('the error stream to finish', () => failed.isFinished('error'));
    expect(failed.text('error')).toBe('Internal error occurred: container "app" is not running');
  });

  test('a handler that throws ends the session with an internal error', async () => {
    handler = async () => {
      throw new Error('runtime exploded');
    };
    const client = await connect('command=true&stdout=true');
    for (const type of ['error', 'stdout']) await client.open(type);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
    expect(JSON.parse(client.text('error'))).toMatchObject({ status: 'Failure', reason: 'InternalError', message: 'Internal error occurred: runtime exploded', code: 500 });
  });

  test('a RST_STREAM on stdin is EOF for the command', async () => {
    handler = async (streams) => {
      await collect(streams.stdin);
      return { exitCode: 0 };
    };
    const client = await connect('command=cat&stdin=true&stdout=true');
    for (const type of ['error', 'stdin', 'stdout']) await client.open(type);
    client.socket.write(rstStreamFrame(client.byType.get('stdin')!, RstStatus.Cancel));
    await waitFor('the error stream to finish', () => client.isFinished('error'));
  });
});

describe('the client going away, and back-pressure', () => {
  test('a disconnect aborts the signal and ends stdin; the server socket is closed', async () => {
    let streams!: RemoteCommandStreams;
    let stdinEnded = false;
    handler = (s) =>
      new Promise((resolve) => {
        streams = s;
        s.stdin?.on('end', () => (stdinEnded = true)).resume();
        s.signal.addEventListener('abort', () => resolve({ exitCode: 137 }));
      });
    const client = await connect('command=sleep&stdin=true&stdout=true');
    for (const type of ['error', 'stdin', 'stdout']) await client.open(type);
    await waitFor('the handler to start', () => streams);
    const serverSocket = server.sockets.at(-1)!;
    client.close();
    await waitFor('the signal to abort', () => streams.signal.aborted);
    await waitFor('stdin to end', () => stdinEnded);
    await waitFor('the server socket to close', () => serverSocket.destroyed);
    // Output after the client left goes nowhere, quietly.
    expect(streams.stdout?.write('late')).toBe(true);
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
    const client = await connect('command=yes&stdout=true');
    for (const type of ['error', 'stdout']) await client.open(type);
    client.socket.pause();
    await waitFor('the handler to be told to wait', () => blocked);
    // Bounded by socket buffers, far below what an unbounded writer would have pushed.
    expect(bytesAccepted).toBeLessThan(32 * 1024 * 1024);
    client.socket.resume();
    await waitFor('the error stream to finish', () => client.isFinished('error'), 10_000);
    expect(client.text('stdout').length).toBe(bytesAccepted);
  });
});

describe('protocol faults', () => {
  test('PINGs from the client (odd ids) are echoed; even ids are not', async () => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=true&stdout=true');
    client.socket.write(pingFrame(2));
    await barrier(client, 5);
    expect(client.controlFrames(FrameType.Ping).map((f) => f.payload.readUInt32BE(0))).toEqual([5]);
  });

  test('a stream with an even or reused id is reset with PROTOCOL_ERROR', async () => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=true&stdout=true');
    await client.open('error');
    // Stream 1 again (reused), then 4 (even: the server's to open).
    await client.synStream(1, 'stdout');
    await client.synStream(4, 'stdout');
    await barrier(client, 7);
    const resets = client.controlFrames(FrameType.RstStream).map((f) => [f.payload.readUInt32BE(0), f.payload.readUInt32BE(4)]);
    expect(resets).toEqual([
      [1, RstStatus.ProtocolError],
      [4, RstStatus.ProtocolError],
    ]);
  });

  test('a control frame of another SPDY version ends the connection with GOAWAY(PROTOCOL_ERROR)', async () => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=true&stdout=true');
    const frame = pingFrame(9);
    frame.writeUInt16BE(0x8002, 0);
    client.socket.write(frame);
    await waitFor('the connection to close', () => client.closed);
    const goAway = client.controlFrames(FrameType.GoAway)[0];
    expect(goAway.payload.readUInt32BE(4)).toBe(GoAwayStatus.ProtocolError);
  });

  test('data for a stream that does not exist is dropped', async () => {
    handler = async (streams) => ({ exitCode: (await collect(streams.stdin)) === 'ok' ? 0 : 1 });
    const client = await connect('command=cat&stdin=true&stdout=true');
    for (const type of ['error', 'stdin', 'stdout']) await client.open(type);
    client.socket.write(dataFrame(99, Buffer.from('stray'), true));
    client.send('stdin', 'ok', true);
    await waitFor('the error stream to finish', () => client.isFinished('error'));
    expect(client.text('error')).toBe('{"metadata":{},"status":"Success"}');
  });
});

describe('timeouts', () => {
  let timed: UpgradeServer;
  beforeAll(async () => {
    timed = await startUpgradeServer(() => handler, { streamCreationMs: 200, hangUpMs: 200 });
  });
  afterAll(async () => {
    await timed.close();
  });

  test('a client that does not open its streams in time is cut off; the command never runs', async () => {
    let started = false;
    handler = async () => {
      started = true;
      return { exitCode: 0 };
    };
    const client = await connect('command=true&stdin=true&stdout=true', undefined, timed.port);
    await client.open('error');
    await waitFor('the connection to close', () => client.closed);
    expect(started).toBe(false);
  });

  test('a client that does not hang up after the end is cut off', async () => {
    handler = async () => ({ exitCode: 0 });
    const client = await connect('command=true&stdout=true', undefined, timed.port);
    for (const type of ['error', 'stdout']) await client.open(type);
    await waitFor('GOAWAY', () => client.controlFrames(FrameType.GoAway)[0]);
    await waitFor('the server to close the connection', () => client.closed);
  });
});
