import { describe, expect, it } from 'vitest';
import { snappyUncompress } from '../../lib/avro/snappy.js';
import { snappyCompress } from './snappy-writer.js';
import { seededRandom } from './values.js';

const MAX = 1 << 20;

describe('snappyUncompress', () => {
  it('inverts a compressor on random, repetitive and empty data', () => {
    const random = seededRandom(7);
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('a'),
      Buffer.alloc(5000, 'x'),
      Buffer.from('abcabcabcabcabcabc hello hello hello '.repeat(200)),
      Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(random() * 256))),
      Buffer.from(
        Array.from({ length: 70_000 }, (_, i) => (i % 1000 < 500 ? i & 0xff : Math.floor(random() * 4))),
      ),
    ];
    for (const input of inputs) {
      const compressed = snappyCompress(input);
      expect(snappyUncompress(compressed, MAX)).toEqual(input);
    }
  });

  it('reads every element kind, including 4-byte offsets and overlapping copies', () => {
    const literal = Buffer.alloc(300, 7);
    const built = Buffer.concat([
      Buffer.from([0x80 + (314 & 0x7f), 314 >> 7]), // 314 bytes in all
      Buffer.from([0x00, 0x61]), // literal "a"
      Buffer.from([(9 << 2) | 2, 1, 0]), // copy 10 bytes from 1 back: overlapping, "aaaaaaaaaa"
      Buffer.from([61 << 2, (300 - 1) & 0xff, (300 - 1) >> 8]), // literal with a 2-byte length
      literal,
      Buffer.from([(2 << 2) | 3, 5, 0, 0, 0]), // copy 3 bytes from 5 back, 4-byte offset
    ]);
    expect(snappyUncompress(built, MAX)).toEqual(
      Buffer.concat([Buffer.alloc(11, 'a'), literal, Buffer.alloc(3, 7)]),
    );
  });

  it.each([
    ['an empty input', Buffer.alloc(0), /bad length preamble/],
    ['a copy from offset 0', Buffer.from([4, 0x00, 0x61, (3 << 2) | 2, 0, 0]), /copy out of bounds/],
    ['a copy from before the start', Buffer.from([5, 0x00, 0x61, (3 << 2) | 2, 2, 0]), /copy out of bounds/],
    ['more output than declared', Buffer.from([1, 0x04, 0x61, 0x62]), /literal out of bounds/],
    ['less output than declared', Buffer.from([3, 0x00, 0x61]), /shorter than its declared length/],
    ['a truncated literal', Buffer.from([3, 0x08, 0x61]), /literal out of bounds/],
    ['a truncated copy', Buffer.from([3, 0x00, 0x61, 0x02]), /truncated copy/],
  ])('refuses %s', (_, input, message) => {
    expect(() => snappyUncompress(input, MAX)).toThrow(message);
  });

  it('refuses a declared length over the limit before allocating it', () => {
    expect(() => snappyUncompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), MAX)).toThrow(RangeError);
  });
});
