import { describe, expect, it } from 'vitest';
import { cell, size, typeName } from '../../../lib/http/ui/demo/browser/format.js';

/** The demo page's wording of Portico's answers: browser code, tested as a module. */
describe('demo page formatting', () => {
  it('words byte counts', () => {
    expect(size(undefined)).toBe('');
    expect(size(512)).toBe('512 B');
    expect(size(1536)).toBe('1.5 KB');
    expect(size(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(size(3 * 1024 ** 4)).toBe('3072.0 GB');
  });

  it('words HubDB and Avro cells', () => {
    expect(cell(null)).toBe('—');
    expect(cell('')).toBe('—');
    expect(cell([])).toBe('—');
    expect(cell(['a', { name: 'b' }])).toBe('a, b');
    expect(cell({ label: 'Open', name: 'open' })).toBe('Open');
    expect(cell({ url: 'https://x.test/a.png' })).toBe('https://x.test/a.png');
    expect(cell({ id: 7 })).toBe('{"id":7}');
    expect(cell(true, 'BOOLEAN')).toBe('Yes');
    expect(cell(0, 'BOOLEAN')).toBe('No');
    expect(cell(Date.UTC(2026, 11, 1, 23, 0), 'DATE')).toBe('2026-12-01');
    expect(cell(42)).toBe('42');
  });

  it('names Avro types', () => {
    expect(typeName('string')).toBe('string');
    expect(typeName(['null', 'long'])).toBe('null | long');
    expect(typeName({ type: 'long', logicalType: 'timestamp-millis' })).toBe('timestamp-millis');
    expect(typeName({ type: 'array', items: 'int' })).toBe('int[]');
    expect(typeName({ type: 'record', name: 'Point' })).toBe('Point');
    expect(typeName(7)).toBe('?');
  });
});
