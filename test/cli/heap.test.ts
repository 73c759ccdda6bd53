/**
 * SKIFF_HEAP_GROWTH_PERCENT: parsed with errors that name the variable, and
 * applied to V8 as --heap-growing-percent (the heap grows to 1 + percent/100
 * times what survives a full collection; bench:simulated-nodes shows the
 * effect on RSS).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { applyHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, parseHeapGrowth } from '../../cli/heap';

jest.mock('node:v8', () => ({ ...jest.requireActual('node:v8'), setFlagsFromString: jest.fn() }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const set = (require('node:v8') as { setFlagsFromString: jest.Mock }).setFlagsFromString;

const root = path.join(__dirname, '..', '..');
const hook = path.join(root, 'test', 'support', 'register-ts.js');

test('the default is Go\'s GOGC default; 0 leaves V8 alone; bad values are refused by name', () => {
  expect(parseHeapGrowth(undefined)).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
  expect(DEFAULT_HEAP_GROWTH_PERCENT).toBe(100);
  expect(parseHeapGrowth('')).toBe(100);
  expect(parseHeapGrowth('50')).toBe(50);
  expect(parseHeapGrowth('0')).toBeUndefined();
  expect(() => parseHeapGrowth('lots')).toThrow('SKIFF_HEAP_GROWTH_PERCENT="lots": must be a whole number of percent');
  expect(() => parseHeapGrowth('5')).toThrow('SKIFF_HEAP_GROWTH_PERCENT=5: must be 0 or between 10 and 1000');
  expect(() => parseHeapGrowth('-1')).toThrow('must be a whole number');
});

test('skiff up refuses a bad value before booting anything', () => {
  const r = spawnSync(process.execPath, ['-r', hook, path.join(root, 'cli', 'skiff.ts'), 'up', '--listen', '127.0.0.1:0'], {
    encoding: 'utf8',
    env: { ...process.env, SKIFF_HEAP_GROWTH_PERCENT: 'lots' },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('skiff: SKIFF_HEAP_GROWTH_PERCENT="lots": must be a whole number');
});

test('applied to V8 as its heap growing percent, for up and agent alike', () => {
  set.mockClear();
  expect(applyHeapGrowth({})).toBe(100);
  expect(set).toHaveBeenLastCalledWith('--heap-growing-percent=100');
  expect(applyHeapGrowth({ SKIFF_HEAP_GROWTH_PERCENT: '50' })).toBe(50);
  expect(set).toHaveBeenLastCalledWith('--heap-growing-percent=50');
  set.mockClear();
  expect(applyHeapGrowth({ SKIFF_HEAP_GROWTH_PERCENT: '0' })).toBeUndefined();
  expect(set).not.toHaveBeenCalled();
});
