/** Base of the Avro errors, so a caller can tell them from I/O errors of the byte source. */
export class AvroError extends Error {
  override name = 'AvroError';
}

/**
 * The bytes are not an Avro object container file, or are corrupt or truncated (maps to `422`).
 * The message says what is wrong and, past the header, in which block (numbered from 1).
 */
export class AvroFormatError extends AvroError {
  override name = 'AvroFormatError';
}

/** A page cursor that is malformed, tampered with, or belongs to another file or version of it (maps to `400`). */
export class AvroCursorError extends AvroError {
  override name = 'AvroCursorError';
}
