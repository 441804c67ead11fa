import { ByteReader } from './byte-reader.js';
import { type Block, BlockRows, readBlock, readHeader } from './container.js';
import { valueMeter } from './row-decoder.js';
import { rowWriterFor, type TextSink, writeJsonLine } from './row-writer.js';

/** A chunk is handed on once it holds this many bytes (whole lines only). */
export const CHUNK_BYTES = 64 * 1024;
/** Room the text starts with: a chunk's last line usually fits without growing it. */
const CHUNK_ROOM = CHUNK_BYTES + 16 * 1024;

/** Where a stream's lines are written before they are handed on. */
export function lineText(): TextSink {
  return { out: Buffer.allocUnsafe(CHUNK_ROOM), at: 0 };
}

/**
 * The lines written so far, handed on as a buffer of their own (the consumer keeps it for as long
 * as it likes), so that the one the rows are written to is reused and its slack never handed on.
 */
export function handOn(text: TextSink): Buffer {
  const chunk = Buffer.from(text.out.subarray(0, text.at));
  text.at = 0;
  return chunk;
}

/**
 * The NDJSON text of an Avro file as it downloads: `{"schema": …}` first, then one row a line, in
 * chunks of whole lines: the bytes of `JSON.stringify` of each `decodeAvro` event, a newline
 * after each. Rows are written straight from the block's bytes by the schema's compiled
 * {@link rowWriterFor} writer (a recursive schema's rows are decoded and stringified). Memory,
 * limits and failures are those of `decodeAvro`: damage throws its {@link AvroFormatError} after
 * every whole line before it was yielded, and stopping early closes the source.
 */
export async function* avroNdjsonChunks(
  source: AsyncIterable<Uint8Array>,
  maxBlockBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = new ByteReader(source[Symbol.asyncIterator](), 0);
  try {
    const header = await readHeader(reader);
    yield Buffer.from(`${JSON.stringify({ schema: header.schema })}\n`);
    const writer = rowWriterFor(header.decoder, header.schema);
    const meter = valueMeter();
    const text = lineText();
    for (let number = 1; ; number++) {
      let block: Block | undefined;
      try {
        block = await readBlock(reader, header, number, maxBlockBytes);
      } catch (error) {
        // The lines before the damage are whole and good: they go out first.
        if (text.at > 0) yield handOn(text);
        throw error;
      }
      if (block === undefined) break;
      const rows = new BlockRows(block, header, meter);
      for (let finished = false; !finished; ) {
        let failure: unknown;
        try {
          while (!rows.done && text.at < CHUNK_BYTES) {
            if (writer !== undefined) rows.writeNext(writer, text);
            // Stringified apart from decoding, as the route did: its failure is not the file's.
            else writeJsonLine(text, JSON.stringify(rows.next()));
          }
          if (rows.done) {
            rows.finish();
            finished = true;
          }
        } catch (error) {
          failure = error;
        }
        if (failure !== undefined) {
          if (text.at > 0) yield handOn(text);
          throw failure;
        }
        if (text.at >= CHUNK_BYTES) yield handOn(text);
      }
    }
    if (text.at > 0) yield handOn(text);
  } finally {
    await reader.close();
  }
}
