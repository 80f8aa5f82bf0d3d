/**
 * A first-level table over an mmdb search tree (the DIR-style longest-prefix lookup of IP routers): for every
 * value of an address's first `bits` bits, the tree node reached after them. A lookup reads one slot and then
 * walks the few levels left, instead of walking ~20 levels from the root. Each level is a read at a random
 * place in a 20-30 MB tree, so under load (the rest of the request having evicted the tree from the CPU
 * caches) most levels are a cache miss: measured, that walk was most of a capture's GeoIP cost.
 *
 * The tree layout is the MaxMind DB format's (https://maxmind.github.io/MaxMind-DB/): nodes of two records,
 * 24, 28 or 32 bits each; a record below `nodeCount` is the next node, `nodeCount` itself means "no data", and
 * anything above points into the data section.
 */

/** Reads the left (0) or right (1) record of a node. */
export type RecordReader = (node: number, bit: number) => number;

export function recordReader(db: Uint8Array, recordSize: number): RecordReader {
  switch (recordSize) {
    case 24:
      return (node, bit) => {
        const o = node * 6 + bit * 3;
        return (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!;
      };
    case 28:
      // The middle byte holds the top four bits of both records: left in its high nibble, right in its low.
      return (node, bit) => {
        const o = node * 7;
        return bit === 0
          ? ((db[o + 3]! & 0xf0) << 20) | (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!
          : ((db[o + 3]! & 0x0f) << 24) | (db[o + 4]! << 16) | (db[o + 5]! << 8) | db[o + 6]!;
      };
    case 32:
      return (node, bit) => {
        const o = node * 8 + bit * 4;
        return ((db[o]! << 24) | (db[o + 1]! << 16) | (db[o + 2]! << 8) | db[o + 3]!) >>> 0;
      };
    default:
      throw new Error(`unsupported mmdb record size ${recordSize}`);
  }
}

export interface TreeIndexOptions {
  read: RecordReader;
  nodeCount: number;
  /** The node the indexed addresses start from: the root, or where IPv4 begins inside an IPv6 tree. */
  startNode: number;
  /** Bits resolved by the table (2^bits slots of 4 bytes). */
  bits: number;
}

export class TreeIndex {
  private readonly table: Uint32Array;
  private readonly read: RecordReader;
  private readonly nodeCount: number;
  private readonly bits: number;

  constructor({ read, nodeCount, startNode, bits }: TreeIndexOptions) {
    this.read = read;
    this.nodeCount = nodeCount;
    this.bits = bits;
    this.table = new Uint32Array(2 ** bits);
    this.fill(startNode, 0, 0);
  }

  // Depth-first over the top `bits` levels: a subtree that ends early (data or "no data" above the last
  // level) fills its whole range of slots with that record.
  private fill(node: number, depth: number, prefix: number) {
    if (node >= this.nodeCount || depth === this.bits) {
      const span = 2 ** (this.bits - depth);
      this.table.fill(node, prefix * span, (prefix + 1) * span);
      return;
    }
    this.fill(this.read(node, 0), depth + 1, prefix * 2);
    this.fill(this.read(node, 1), depth + 1, prefix * 2 + 1);
  }

  /** The record an IPv4 address (as an unsigned 32-bit integer) ends on: a data pointer, or `nodeCount` and below for none. */
  lookupIPv4(address: number): number {
    let node = this.table[address >>> (32 - this.bits)]!;
    for (let bit = this.bits; bit < 32 && node < this.nodeCount; bit++) {
      node = this.read(node, (address >>> (31 - bit)) & 1);
    }
    return node;
  }

  /** The record an IPv6 address (as its eight 16-bit groups) ends on. */
  lookupIPv6(groups: Uint16Array): number {
    const top = ((groups[0]! << 16) | groups[1]!) >>> 0;
    let node = this.table[top >>> (32 - this.bits)]!;
    for (let bit = this.bits; bit < 128 && node < this.nodeCount; bit++) {
      node = this.read(node, (groups[bit >>> 4]! >>> (15 - (bit & 15))) & 1);
    }
    return node;
  }
}
