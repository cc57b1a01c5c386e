/**
 * Follows the chain of top-level MP4 boxes as the bytes stream past, without buffering them.
 * A complete file's boxes end exactly at its last byte and include `moov` (the index a player
 * needs); a truncated upload ends inside a box. Catches a cut-off trailer before it is served.
 */
export class Mp4BoxWalker {
  private remaining = 0; // bytes of the current box's body still to pass
  private header: number[] = [];
  private headerLength = 8;
  private toEnd = false; // a box of size 0 runs to the end of the file
  private broken = false;
  private sawMoov = false;

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.toEnd && !this.broken) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i]!);
      i += 1;
      if (this.header.length === 8) this.readShortHeader();
      else if (this.header.length === 16 && this.headerLength === 16) this.readLargeSize();
    }
  }

  private readShortHeader(): void {
    const buf = Buffer.from(this.header);
    const size = buf.readUInt32BE(0);
    const type = buf.toString('latin1', 4, 8);
    if (!/^[\x20-\x7e]{4}$/.test(type)) {
      this.broken = true;
      return;
    }
    if (type === 'moov') this.sawMoov = true;
    if (size === 1) {
      this.headerLength = 16;
      return;
    }
    this.header = [];
    if (size === 0) this.toEnd = true;
    else if (size < 8) this.broken = true;
    else this.remaining = size - 8;
  }

  private readLargeSize(): void {
    const size = Buffer.from(this.header).readBigUInt64BE(8);
    this.header = [];
    this.headerLength = 8;
    if (size < 16n || size > BigInt(Number.MAX_SAFE_INTEGER)) this.broken = true;
    else this.remaining = Number(size) - 16;
  }

  /** True when the bytes fed so far form a whole file. */
  get complete(): boolean {
    return !this.broken && this.sawMoov && (this.toEnd || (this.remaining === 0 && this.header.length === 0));
  }
}
