import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import {
  FLAG_FIN,
  FrameReader,
  FrameType,
  SpdyProtocolError,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  goAwayFrame,
  parseSynStream,
  pingFrame,
  rstStreamFrame,
  synReplyFrame,
  words,
  type Frame,
} from '../../../../plugins/node-agent/streaming/spdy/frames';
import { HeaderCompression, spdy3Dictionary } from '../../../../plugins/node-agent/streaming/spdy/header-block';
import { kubectlVersions } from '../../../support/kubectl';

describe('SPDY/3 frames', () => {
  test('a data frame: stream id, FIN flag, 24-bit length', () => {
    expect(dataFrame(5, Buffer.from('hi'), true).toString('hex')).toBe('00000005' + '01000002' + '6869');
    expect(dataFrame(0x7fffffff, Buffer.alloc(0), false).toString('hex')).toBe('7fffffff00000000');
  });

  test('control frames carry version 3 and their type', () => {
    expect(pingFrame(7).toString('hex')).toBe('80030006' + '00000004' + '00000007');
    expect(rstStreamFrame(3, 1).toString('hex')).toBe('80030003' + '00000008' + '00000003' + '00000001');
    expect(goAwayFrame(9, 0).toString('hex')).toBe('80030007' + '00000008' + '00000009' + '00000000');
    expect(synReplyFrame(1, Buffer.from([0xaa]), true).toString('hex')).toBe('80030002' + '01000005' + '00000001' + 'aa');
  });

  test('a payload beyond the 24-bit length is refused, not truncated', () => {
    expect(() => controlFrame(FrameType.Headers, 0, Buffer.alloc(0x1000000))).toThrow(/24-bit length/);
  });

  test('the reader reassembles frames from any split of the byte stream', () => {
    const wire = Buffer.concat([dataFrame(1, Buffer.from('abc'), false), pingFrame(3), dataFrame(3, Buffer.alloc(0), true)]);
    for (const step of [1, 2, 3, 7, wire.length]) {
      const reader = new FrameReader();
      const frames: Frame[] = [];
      for (let i = 0; i < wire.length; i += step) frames.push(...reader.push(wire.subarray(i, i + step)));
      expect(frames).toEqual([
        { kind: 'data', streamId: 1, flags: 0, payload: Buffer.from('abc') },
        { kind: 'control', version: 3, type: FrameType.Ping, flags: 0, payload: Buffer.from('00000003', 'hex') },
        { kind: 'data', streamId: 3, flags: FLAG_FIN, payload: Buffer.alloc(0) },
      ]);
      expect(reader.pending).toBe(0);
    }
  });

  test('the reader holds an incomplete frame until the rest arrives', () => {
    const reader = new FrameReader();
    const frame = dataFrame(1, Buffer.from('hello'), false);
    expect(reader.push(frame.subarray(0, 10))).toEqual([]);
    expect(reader.pending).toBe(10);
    expect(reader.push(frame.subarray(10))).toHaveLength(1);
  });

  test('SYN_STREAM fields', () => {
    const payload = Buffer.from('00000005' + '00000000' + 'a0' + '00' + 'ffee', 'hex');
    expect(parseSynStream(payload)).toEqual({ streamId: 5, associatedTo: 0, priority: 5, headerBlock: Buffer.from('ffee', 'hex') });
    expect(() => parseSynStream(Buffer.alloc(9))).toThrow(SpdyProtocolError);
    expect(() => words(Buffer.alloc(4), 2, 'RST_STREAM')).toThrow('RST_STREAM payload of 4 bytes is shorter than 8');
  });

  test('header blocks: lower-case names, several values joined with NUL', () => {
    const block = encodeHeaderBlock(new Map([['StreamType', ['stdout']], ['x', ['a', 'b']]]));
    expect(block.toString('hex')).toBe(
      '00000002' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000006' + Buffer.from('stdout').toString('hex') + '00000001' + '78' + '00000003' + '610062',
    );
    expect(decodeHeaderBlock(block)).toEqual(new Map([['streamtype', ['stdout']], ['x', ['a', 'b']]]));
    expect(encodeHeaderBlock(new Map()).toString('hex')).toBe('00000000');
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow('header block ends inside a header value');
  });
});

describe('header compression', () => {
  test('the dictionary is SPDY/3\'s: the very bytes kubectl carries, Adler-32 0xe3c6a7c2', () => {
    const dictionary = spdy3Dictionary();
    expect(dictionary.length).toBe(1423);
    // The zlib header of a stream primed with it names the dictionary by its checksum (FDICT).
    expect(zlib.deflateSync(Buffer.alloc(0), { dictionary }).readUInt32BE(2)).toBe(0xe3c6a7c2);
    const binary = readFileSync(kubectlVersions()[0].binary);
    expect(binary.indexOf(dictionary)).toBeGreaterThan(0);
  });

  test('blocks share one zlib stream per direction and decode in order', async () => {
    const sender = new HeaderCompression();
    const receiver = new HeaderCompression();
    const blocks = Array.from({ length: 50 }, (_, i) => encodeHeaderBlock(new Map([['streamtype', [['error', 'stdin', 'stdout'][i % 3]]], ['n', [String(i)]]])));
    const compressed = await Promise.all(blocks.map((block) => sender.compress(block)));
    // Later blocks refer back to earlier ones: they get shorter than the first.
    expect(compressed[49].length).toBeLessThan(compressed[0].length);
    const decoded = await Promise.all(compressed.map((c) => receiver.decompress(c)));
    expect(decoded).toEqual(blocks);
    sender.close();
    receiver.close();
  });

  test('a block from an independent zlib stream primed with the dictionary decodes', async () => {
    const dictionary = spdy3Dictionary();
    const block = encodeHeaderBlock(new Map([['streamtype', ['resize']]]));
    const deflate = zlib.createDeflate({ dictionary, level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    deflate.write(block);
    await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    const receiver = new HeaderCompression();
    expect(decodeHeaderBlock(await receiver.decompress(Buffer.concat(chunks)))).toEqual(new Map([['streamtype', ['resize']]]));
    receiver.close();
    deflate.destroy();
  });

  test('garbage is a protocol error, and so is everything after it', async () => {
    const receiver = new HeaderCompression();
    await expect(receiver.decompress(Buffer.from('not zlib at all'))).rejects.toThrow(SpdyProtocolError);
    const good = await new HeaderCompression().compress(encodeHeaderBlock(new Map()));
    await expect(receiver.decompress(good)).rejects.toThrow(SpdyProtocolError);
    receiver.close();
  });

  test('a block that inflates beyond 256 KiB is refused', async () => {
    const sender = new HeaderCompression();
    const receiver = new HeaderCompression();
    const bomb = await sender.compress(Buffer.alloc(1024 * 1024, 0x61));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(receiver.decompress(bomb)).rejects.toThrow('a header block inflates to more than 262144 bytes');
    sender.close();
    receiver.close();
  });
});
