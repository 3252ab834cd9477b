/**
 * Where the XML serializer's writers put a document: the XmlOutput interface they write to, and ByteOutput, which
 * encodes the document into UTF-8 chunk by chunk as it is written, into buffers taken from a pool (OutputBuffers)
 * and given back once the answer has been sent. A large answer so never exists as one string nor as one fresh
 * buffer.
 */

/** Where the writers put the document, piece by piece: a string[] to join, or ByteOutput. */
export interface XmlOutput {
  push(piece: string): void;
}

/**
 * Reusable buffers for large answers. A Describe over a hundred resources is some 150 KB; allocating that much
 * afresh for every answer (as one string, or one Buffer) costs more than writing it: large strings land in
 * V8's large-object space, large Buffers are fresh memory the kernel has to fault in, and both press the GC.
 * A buffer is taken for one answer and given back once the answer has been handed to the OS.
 */
export class OutputBuffers {
  private readonly free: Buffer[] = [];

  /** @param keep how many idle buffers to keep (about one per concurrent large answer). */
  constructor(private readonly keep = 16) {}

  take(minBytes: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i].length >= minBytes) return this.free.splice(i, 1)[0];
    }
    let size = 64 * 1024;
    while (size < minBytes) size *= 2;
    return Buffer.allocUnsafeSlow(size);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}

/** An answer's bytes, and how to give their buffer back once they have been sent (a no-op when not pooled). */
export interface XmlBytes {
  bytes: Buffer;
  release(): void;
}

/**
 * An answer sent as several buffers, in order, never joined into one: a kept result between the two ends of its
 * envelope (which carry the request id). The kept result is sent as it is, without a copy per answer; it is
 * immutable once kept, and neither pooled nor released.
 */
export interface XmlParts {
  parts: readonly Buffer[];
  /** The bytes of all the parts. */
  length: number;
}

const nothingToRelease = () => {};

/** Small pieces are joined into chunks of this many characters before they are encoded. */
export const CHUNK = 16 * 1024;

/**
 * The document as UTF-8 bytes, encoded chunk by chunk into a pooled buffer as it is written: it never exists as
 * one string. An answer that fits in one chunk (most of them) is simply encoded on its own.
 */
export class ByteOutput implements XmlOutput {
  private text = '';
  private buffer: Buffer | undefined;
  private length = 0;

  constructor(private readonly pool: OutputBuffers) {}

  push(piece: string): void {
    this.text += piece;
    if (this.text.length >= CHUNK) this.flush();
  }

  /** Bytes already encoded, written as they are. */
  pushBytes(bytes: Buffer): void {
    this.flush();
    this.reserve(bytes.length);
    this.length += bytes.copy(this.buffer!, this.length);
  }

  /** The byte offset reached so far (the document goes to a pooled buffer from here on). */
  mark(): number {
    this.flush();
    this.reserve(0);
    return this.length;
  }

  /** A copy of bytes [start, end) written so far, of its own (not pooled). */
  copy(start: number, end: number): Buffer {
    return Buffer.from(this.buffer!.subarray(start, end));
  }

  /** Whether the document outgrew one chunk (and so went to a pooled buffer). */
  get large(): boolean {
    return this.buffer !== undefined;
  }

  private flush(): void {
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.reserve(text.length * 3);
    this.length += this.buffer!.write(text, this.length, 'utf8');
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (this.buffer && needed <= this.buffer.length) return;
    const bigger = this.pool.take(needed);
    if (this.buffer) {
      this.buffer.copy(bigger, 0, 0, this.length);
      this.pool.give(this.buffer);
    }
    this.buffer = bigger;
  }

  finish(): XmlBytes {
    if (!this.buffer) return { bytes: Buffer.from(this.text, 'utf8'), release: nothingToRelease };
    this.flush();
    const buffer = this.buffer;
    this.buffer = undefined;
    let released = false;
    return {
      bytes: buffer.subarray(0, this.length),
      release: () => {
        if (released) return;
        released = true;
        this.pool.give(buffer);
      },
    };
  }
}
