/**
 * Builds pcapng files in code (draft-ietf-opsawg-pcapng), block by block, for round-trip and
 * fault tests: several sections, each in its own byte order; several interfaces with
 * if_tsresol/if_tsoffset; enhanced, simple and obsolete packet blocks; name resolution,
 * statistics, decryption secrets, custom and arbitrary blocks; raw bytes for damage.
 *
 * Each block is recorded in {@link PcapngWriter.blocks} with its offset and length so fault
 * matrices can cut or corrupt at every boundary.
 */

import type { ByteOrder } from './pcap-writer.js';

export interface InterfaceSpec {
  /** LINKTYPE_* value. */
  linkType: number;
  /** Snap length; 0 = unlimited (the default). */
  snaplen?: number;
  /** if_tsresol byte: 6 = microseconds (default when omitted), 9 = nanoseconds, 0x80|n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset in seconds (signed 64-bit). */
  tsoffset?: bigint;
  /** Writes an if_name option too (an option the reader must skip). */
  name?: string;
  /**
   * if_filter (option 11): a libpcap filter string (type 0, as dumpcap writes `-f`), or raw option
   * bytes (type byte first) for BPF programs and damage.
   */
  filter?: string | Uint8Array;
}

export interface PacketSpec {
  interfaceId: number;
  /** Timestamp in the interface's units; wins over tsMicros. */
  ts?: bigint;
  /** Timestamp in microseconds, converted to the interface's units (powers of ten only). */
  tsMicros?: number;
  data: Uint8Array;
  /** Original length; defaults to data.length. */
  origLen?: number;
  /** Overrides the captured-length field: for damage tests. */
  capLenField?: number;
  /** Appends an epb_flags option (skipped by the reader). */
  withOptions?: boolean;
}

export interface BlockInfo {
  offset: number;
  type: number;
  length: number;
  /** What the block is, for test names. */
  kind: string;
  /** Byte order the block was written in. */
  le: boolean;
}

interface SectionState {
  le: boolean;
  interfaces: InterfaceSpec[];
}

/** Accumulates blocks; {@link finish} returns the file. */
export class PcapngWriter {
  readonly blocks: BlockInfo[] = [];
  private parts: Uint8Array[] = [];
  private size = 0;
  private section: SectionState | null = null;

  /** Section Header Block (section 4.1): starts a section in `byteOrder`, interfaces reset. */
  shb(byteOrder: ByteOrder, opts: { comment?: string; majorVersion?: number } = {}): this {
    const le = byteOrder === 'le';
    this.section = { le, interfaces: [] };
    const body = new BodyBuilder(le);
    body.u32(0x1a2b3c4d); // byte-order magic
    body.u16(opts.majorVersion ?? 1); // major version
    body.u16(0); // minor version
    body.u32(0xffffffff); // section length: -1 (unspecified), 64 bits
    body.u32(0xffffffff);
    if (opts.comment !== undefined) {
      body.option(1, new TextEncoder().encode(opts.comment)); // opt_comment
      body.endOfOptions();
    }
    return this.block(0x0a0d0d0a, body, 'SHB', le);
  }

  /** Interface Description Block (section 4.2). Returns this; the id is the count so far in the section. */
  idb(spec: InterfaceSpec): this {
    const s = this.requireSection();
    s.interfaces.push(spec);
    const body = new BodyBuilder(s.le);
    body.u16(spec.linkType); // link type
    body.u16(0); // reserved
    body.u32(spec.snaplen ?? 0); // snap length
    let options = false;
    if (spec.name !== undefined) {
      body.option(2, new TextEncoder().encode(spec.name)); // if_name
      options = true;
    }
    if (spec.filter !== undefined) {
      const value = typeof spec.filter === 'string' ? Uint8Array.of(0, ...new TextEncoder().encode(spec.filter)) : spec.filter;
      body.option(11, value); // if_filter
      options = true;
    }
    if (spec.tsresol !== undefined) {
      body.option(9, Uint8Array.of(spec.tsresol)); // if_tsresol
      options = true;
    }
    if (spec.tsoffset !== undefined) {
      const v = new BodyBuilder(s.le);
      v.i64(spec.tsoffset);
      body.option(14, v.bytes()); // if_tsoffset, signed seconds
      options = true;
    }
    if (options) body.endOfOptions();
    return this.block(1, body, 'IDB');
  }

  /** Enhanced Packet Block (section 4.3). */
  epb(p: PacketSpec): this {
    const s = this.requireSection();
    const ts = this.units(p);
    const body = new BodyBuilder(s.le);
    body.u32(p.interfaceId); // interface id
    body.u32(Number(ts >> 32n)); // timestamp, upper 32 bits
    body.u32(Number(ts & 0xffffffffn)); // timestamp, lower 32 bits
    body.u32(p.capLenField ?? p.data.length); // captured packet length
    body.u32(p.origLen ?? p.data.length); // original packet length
    body.bytes4(p.data); // packet data, padded to 32 bits
    if (p.withOptions) {
      body.option(2, u32Bytes(s.le, 0x00000001)); // epb_flags: inbound
      body.endOfOptions();
    }
    return this.block(6, body, 'EPB');
  }

  /** Obsolete Packet Block (appendix A): 16-bit interface id and drops count. */
  pb(p: PacketSpec & { drops?: number }): this {
    const s = this.requireSection();
    const ts = this.units(p);
    const body = new BodyBuilder(s.le);
    body.u16(p.interfaceId); // interface id
    body.u16(p.drops ?? 0); // drops count
    body.u32(Number(ts >> 32n)); // timestamp, upper 32 bits
    body.u32(Number(ts & 0xffffffffn)); // timestamp, lower 32 bits
    body.u32(p.capLenField ?? p.data.length); // captured packet length
    body.u32(p.origLen ?? p.data.length); // original packet length
    body.bytes4(p.data); // packet data, padded
    return this.block(2, body, 'PB');
  }

  /** Simple Packet Block (section 4.4): original length and data only. */
  spb(data: Uint8Array, origLen = data.length): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    body.u32(origLen); // original packet length
    body.bytes4(data); // packet data, padded
    return this.block(3, body, 'SPB');
  }

  /** Name Resolution Block (section 4.5) with one IPv4 record. */
  nrb(ipv4: [number, number, number, number], name: string): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    const text = new TextEncoder().encode(name + '\0');
    body.u16(1); // nrb_record_ipv4
    body.u16(4 + text.length); // record value length
    body.raw(Uint8Array.from(ipv4)); // address
    body.bytes4(text); // name, zero-terminated, padded
    body.u16(0); // nrb_record_end
    body.u16(0);
    return this.block(4, body, 'NRB');
  }

  /** Interface Statistics Block (section 4.6), with isb_ifdrop / isb_osdrop when given. */
  isb(interfaceId: number, counters: { ifdrop?: bigint; osdrop?: bigint } = {}): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    body.u32(interfaceId); // interface id
    body.u32(0); // timestamp upper
    body.u32(0); // timestamp lower
    const u64 = (v: bigint) => {
      const b = new BodyBuilder(s.le);
      b.i64(BigInt.asIntN(64, v));
      return b.bytes();
    };
    if (counters.ifdrop !== undefined) body.option(5, u64(counters.ifdrop)); // isb_ifdrop
    if (counters.osdrop !== undefined) body.option(7, u64(counters.osdrop)); // isb_osdrop
    if (counters.ifdrop !== undefined || counters.osdrop !== undefined) body.endOfOptions();
    return this.block(5, body, 'ISB');
  }

  /** Decryption Secrets Block (section 4.7): TLS key log type, some secret text. */
  dsb(secret: string): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    const data = new TextEncoder().encode(secret);
    body.u32(0x544c534b); // secrets type: TLS key log
    body.u32(data.length); // secrets length
    body.bytes4(data); // secrets data, padded
    return this.block(0x0a, body, 'DSB');
  }

  /** Custom Block (section 4.8), copyable (0x00000BAD) or not (0x40000BAD). */
  custom(copyable: boolean, pen: number, data: Uint8Array): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    body.u32(pen); // private enterprise number
    body.bytes4(data); // custom data, padded
    return this.block(copyable ? 0x00000bad : 0x40000bad, body, 'CB');
  }

  /** Any block type with an opaque body (padded): unknown types must be skipped by length. */
  other(type: number, data: Uint8Array): this {
    const s = this.requireSection();
    const body = new BodyBuilder(s.le);
    body.bytes4(data);
    return this.block(type, body, `type 0x${type.toString(16)}`);
  }

  /** Raw bytes, not a block (garbage between or after blocks). */
  raw(bytes: Uint8Array): this {
    this.push(bytes);
    return this;
  }

  /** The file so far. With `at`, it is written at that offset of a larger buffer (non-zero byteOffset). */
  finish(at = 0): Uint8Array {
    const backing = new Uint8Array(at + this.size).fill(0xee);
    let p = at;
    for (const part of this.parts) {
      backing.set(part, p);
      p += part.length;
    }
    return backing.subarray(at);
  }

  private units(p: PacketSpec): bigint {
    if (p.ts !== undefined) return p.ts;
    const iface = this.requireSection().interfaces[p.interfaceId];
    const res = iface?.tsresol ?? 6;
    if (res & 0x80) throw new Error('tsMicros with a power-of-two resolution: give ts in units');
    const micros = BigInt(p.tsMicros ?? 0) - (iface?.tsoffset ?? 0n) * 1_000_000n;
    return res >= 6 ? micros * 10n ** BigInt(res - 6) : micros / 10n ** BigInt(6 - res);
  }

  private requireSection(): SectionState {
    if (!this.section) throw new Error('write a section header block first');
    return this.section;
  }

  /** Block framing (section 3.1): type, total length, body, total length again. */
  private block(type: number, body: BodyBuilder, kind: string, le = this.requireSection().le): this {
    const content = body.bytes();
    const total = 12 + content.length;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, le); // block type
    view.setUint32(4, total, le); // block total length
    out.set(content, 8); // block body
    view.setUint32(total - 4, total, le); // block total length, repeated
    this.blocks.push({ offset: this.size, type, length: total, kind, le });
    this.push(out);
    return this;
  }

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }
}

/** Little helper that appends fields in one byte order. */
class BodyBuilder {
  private chunks: number[] = [];
  constructor(private readonly le: boolean) {}
  u16(v: number): void {
    if (this.le) this.chunks.push(v & 0xff, (v >>> 8) & 0xff);
    else this.chunks.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    const b = u32Bytes(this.le, v);
    this.chunks.push(...b);
  }
  i64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    const hi = Number(u >> 32n);
    const lo = Number(u & 0xffffffffn);
    if (this.le) {
      this.u32(lo);
      this.u32(hi);
    } else {
      this.u32(hi);
      this.u32(lo);
    }
  }
  raw(b: Uint8Array): void {
    for (const x of b) this.chunks.push(x);
  }
  /** Bytes padded with zeros to a multiple of 4. */
  bytes4(b: Uint8Array): void {
    this.raw(b);
    for (let i = b.length; i % 4 !== 0; i++) this.chunks.push(0);
  }
  /** One option (section 3.5): code, length, value padded to 32 bits. */
  option(code: number, value: Uint8Array): void {
    this.u16(code);
    this.u16(value.length);
    this.bytes4(value);
  }
  /** opt_endofopt. */
  endOfOptions(): void {
    this.u16(0);
    this.u16(0);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function u32Bytes(le: boolean, v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}
