/**
 * Growable per-term byte streams in one shared pool (the slice-chain layout Lucene's indexer uses): millions of
 * mostly tiny posting lists cost a few bytes each instead of one typed array each. Each slice ends with a 4-byte
 * address of the next, larger slice.
 */
const BLOCK_BITS = 24;
const BLOCK_SIZE = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_SIZE - 1;
const MAX_LEVEL = 12;

function sliceSize(level: number): number {
  return 8 << Math.min(level, MAX_LEVEL);
}

export class PostingsPool {
  private readonly blocks: Uint8Array[] = [];
  private used = BLOCK_SIZE;
  private head: number[] = [];
  private tail: number[] = [];
  private limit: number[] = [];
  private level: number[] = [];
  /** Bytes written per stream. */
  readonly length: number[] = [];

  /** Opens a new stream; returns its id (ids are dense, from 0). */
  newStream(): number {
    const addr = this.alloc(sliceSize(0));
    this.head.push(addr);
    this.tail.push(addr);
    this.limit.push(addr + sliceSize(0) - 4);
    this.level.push(0);
    this.length.push(0);
    return this.head.length - 1;
  }

  get streams(): number {
    return this.head.length;
  }

  /** Pool bytes in use (for memory reports). */
  get bytes(): number {
    return this.blocks.length * BLOCK_SIZE;
  }

  private alloc(size: number): number {
    if (this.used + size > BLOCK_SIZE) {
      this.blocks.push(new Uint8Array(BLOCK_SIZE));
      this.used = 0;
    }
    const addr = (this.blocks.length - 1) * BLOCK_SIZE + this.used;
    this.used += size;
    return addr;
  }

  private setByte(addr: number, b: number): void {
    this.blocks[Math.floor(addr / BLOCK_SIZE)][addr & BLOCK_MASK] = b;
  }

  private getByte(addr: number): number {
    return this.blocks[Math.floor(addr / BLOCK_SIZE)][addr & BLOCK_MASK];
  }

  writeByte(s: number, b: number): void {
    let t = this.tail[s];
    if (t === this.limit[s]) {
      const lvl = this.level[s] + 1;
      const next = this.alloc(sliceSize(lvl));
      for (let i = 0; i < 4; i++) this.setByte(t + i, Math.floor(next / 2 ** (8 * i)) & 0xff);
      this.level[s] = lvl;
      this.limit[s] = next + sliceSize(lvl) - 4;
      t = next;
    }
    this.setByte(t, b);
    this.tail[s] = t + 1;
    this.length[s]++;
  }

  /** Writes a non-negative integer as a LEB128 varint. */
  writeVarint(s: number, v: number): void {
    while (v >= 0x80) {
      this.writeByte(s, (v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.writeByte(s, v);
  }

  /** Copies stream `s` into `out` at `at`; returns the end offset. */
  copyOut(s: number, out: Uint8Array, at: number): number {
    let addr = this.head[s];
    let lvl = 0;
    let end = addr + sliceSize(0) - 4;
    for (let n = this.length[s]; n > 0; n--) {
      if (addr === end) {
        let next = 0;
        for (let i = 3; i >= 0; i--) next = next * 256 + this.getByte(end + i);
        addr = next;
        lvl++;
        end = addr + sliceSize(lvl) - 4;
      }
      out[at++] = this.getByte(addr++);
    }
    return at;
  }
}
