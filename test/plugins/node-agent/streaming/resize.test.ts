import { TerminalSizeDecoder, TerminalSizes, type TerminalSize } from '../../../../plugins/node-agent/streaming/resize';

const b = (s: string) => Buffer.from(s);

describe('TerminalSizeDecoder', () => {
  test('one object per chunk, as client-go encodes them (newline-terminated)', () => {
    const d = new TerminalSizeDecoder();
    expect(d.push(b('{"Width":80,"Height":24}\n'))).toEqual([{ width: 80, height: 24 }]);
    expect(d.push(b('{"Width":100,"Height":40}\n'))).toEqual([{ width: 100, height: 40 }]);
  });

  test('objects split across chunks and joined in one (a SPDY byte stream)', () => {
    const d = new TerminalSizeDecoder();
    const text = '{"Width":80,"Height":24}\n{"Width":120,"Height":50}{"Width":1,"Height":2}';
    const sizes: TerminalSize[] = [];
    for (const ch of text) sizes.push(...d.push(b(ch)));
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 120, height: 50 },
      { width: 1, height: 2 },
    ]);
  });

  test('field names in any case, as Go decodes them; missing fields are 0; other fields ignored', () => {
    const d = new TerminalSizeDecoder();
    expect(d.push(b('{"width":7,"HEIGHT":9,"note":"}{"}{"Height":3}'))).toEqual([
      { width: 7, height: 9 },
      { width: 0, height: 3 },
    ]);
  });

  test.each([
    ['not an object', '[1,2]{"Width":1,"Height":1}'],
    ['not JSON', '{Width:1}{"Width":1,"Height":1}'],
    ['a negative size', '{"Width":-1,"Height":1}{"Width":1,"Height":1}'],
    ['a size over uint16', '{"Width":70000,"Height":1}{"Width":1,"Height":1}'],
    ['a fractional size', '{"Width":1.5,"Height":1}{"Width":1,"Height":1}'],
  ])('%s stops decoding for good, like the kubelet\'s loop', (_name, text) => {
    const d = new TerminalSizeDecoder();
    expect(d.push(b(text))).toEqual([]);
    expect(d.push(b('{"Width":2,"Height":2}'))).toEqual([]);
  });

  test('an object that never ends is not buffered without bound', () => {
    const d = new TerminalSizeDecoder();
    expect(d.push(b(`{"Width":${'1'.repeat(5000)}`))).toEqual([]);
    expect(d.push(b('}{"Width":2,"Height":2}'))).toEqual([]);
  });

  test('sizes before a bad object are still delivered', () => {
    expect(new TerminalSizeDecoder().push(b('{"Width":5,"Height":6}oops'))).toEqual([{ width: 5, height: 6 }]);
  });
});

describe('TerminalSizes', () => {
  test('a listener registered late hears the latest size first, then every change', () => {
    const sizes = new TerminalSizes();
    sizes.push(b('{"Width":80,"Height":24}{"Width":100,"Height":40}'));
    const heard: TerminalSize[] = [];
    sizes.listen((s) => heard.push(s));
    sizes.push(b('{"Width":120,"Height":50}'));
    expect(heard).toEqual([
      { width: 100, height: 40 },
      { width: 120, height: 50 },
    ]);
  });

  test('a throwing listener does not stop the others; clear() forgets them all', () => {
    const sizes = new TerminalSizes();
    const heard: number[] = [];
    sizes.listen(() => {
      throw new Error('listener bug');
    });
    sizes.listen((s) => heard.push(s.width));
    sizes.push(b('{"Width":1,"Height":1}'));
    sizes.clear();
    sizes.push(b('{"Width":2,"Height":2}'));
    expect(heard).toEqual([1]);
  });
});
