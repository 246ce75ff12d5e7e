import { canonicalKey } from './key.js';
import { IPPROTO_TCP, IPPROTO_UDP, Packet, type DnsSummary, type HttpProxyFacts, type PacketFields, type QuotedHeader } from '../decode/types.js';

/**
 * Decoded packets packed into one ArrayBuffer, so that a decoding thread can hand thousands of them
 * to the flow-table thread in one transfer (postMessage with the buffer in the transfer list: no
 * copy, no object per packet). {@link PacketBatchWriter.put} copies a {@link Packet}'s fields into
 * the next slot, {@link BatchPacket} reads them back in place: the round trip is exact for every
 * field (see the unit test), so the flow table sees the same packets either way.
 *
 * Slot layout (144 bytes, 36 int32 / 18 float64 words):
 * - float64 0: tsMicros; float64 1: fileOffset (files beyond 4 GiB);
 * - int32 4: frame; 5: meta (ipVersion 0-3, proto 4-11, laterFragment 12, truncated 13, tcpFlags 16-23);
 *   6: srcPort << 16 | dstPort; 7: tcpSeq; 8: tcpAck; 9: tcpWindow; 10: ipLen; 11: payloadLen;
 *   12: icmpType; 13: icmpCode; 14-17: src bytes; 18-21: dst bytes; 22: srcV4; 23: dstV4;
 *   24-35: for a TCP or UDP packet with ports (meta bit 14), its flow key as flows/key.ts's
 *   canonicalKey writes it, so that the flow-table thread does not compute it again.
 * The rare application facts (ICMP quote, DNS, TLS SNI, EPM ports, HTTP proxy lines) ride beside the buffer in
 * {@link PacketBatchExtras}, a plain array the structured clone copies.
 */
export const PACKET_SLOT_BYTES = 144;
const KEY_AT = 24;
const META_KEYED = 1 << 14;
const I32_STRIDE = PACKET_SLOT_BYTES / 4;
const F64_STRIDE = PACKET_SLOT_BYTES / 8;

/** [slot, quoted, dns, sni, epmPorts, http] for each slot that carries any of them, in slot order. */
export type PacketBatchExtras = [number, QuotedHeader | null, DnsSummary | null, string | null, number[] | null, HttpProxyFacts | null][];

/** Fills one batch buffer; see the module comment for the layout. */
export class PacketBatchWriter {
  /** Packets written so far. */
  count = 0;
  extras: PacketBatchExtras = [];
  private i32: Int32Array;
  private f64: Float64Array;

  constructor(
    buffer: ArrayBuffer,
    /** Slots the buffer holds. */
    readonly capacity = Math.floor(buffer.byteLength / PACKET_SLOT_BYTES),
  ) {
    this.i32 = new Int32Array(buffer, 0, capacity * I32_STRIDE);
    this.f64 = new Float64Array(buffer, 0, capacity * F64_STRIDE);
    this.limit = capacity;
  }

  /** Packets after which {@link full} says so: at most {@link capacity}, lower for an early, quick batch. */
  limit: number;

  get full(): boolean {
    return this.count >= this.limit;
  }

  /** Starts over on a (possibly different, returned) buffer of the same capacity. */
  reset(buffer: ArrayBuffer): void {
    this.i32 = new Int32Array(buffer, 0, this.capacity * I32_STRIDE);
    this.f64 = new Float64Array(buffer, 0, this.capacity * F64_STRIDE);
    this.count = 0;
    this.extras = [];
  }

  /** The buffer being filled (hand it over with {@link count} and {@link extras}, then {@link reset}). */
  get buffer(): ArrayBuffer {
    return this.i32.buffer as ArrayBuffer;
  }

  /** Copies `pkt` into the next slot. Call only when not {@link full}. */
  put(pkt: Packet): void {
    const slot = this.count++;
    const f = slot * F64_STRIDE;
    this.f64[f] = pkt.tsMicros;
    this.f64[f + 1] = pkt.fileOffset;
    const i = slot * I32_STRIDE;
    const w = this.i32;
    w[i + 4] = pkt.frame;
    w[i + 5] =
      pkt.ipVersion | (pkt.proto << 4) | (pkt.laterFragment ? 1 << 12 : 0) | (pkt.truncated ? 1 << 13 : 0) | (pkt.tcpFlags << 16);
    w[i + 6] = (pkt.srcPort << 16) | pkt.dstPort;
    w[i + 7] = pkt.tcpSeq;
    w[i + 8] = pkt.tcpAck;
    w[i + 9] = pkt.tcpWindow;
    w[i + 10] = pkt.ipLen;
    w[i + 11] = pkt.payloadLen;
    w[i + 12] = pkt.icmpType;
    w[i + 13] = pkt.icmpCode;
    const s = pkt.src32;
    w[i + 14] = s[0];
    w[i + 15] = s[1];
    w[i + 16] = s[2];
    w[i + 17] = s[3];
    const d = pkt.dst32;
    w[i + 18] = d[0];
    w[i + 19] = d[1];
    w[i + 20] = d[2];
    w[i + 21] = d[3];
    w[i + 22] = pkt.srcV4;
    w[i + 23] = pkt.dstV4;
    if ((pkt.proto === IPPROTO_TCP || pkt.proto === IPPROTO_UDP) && pkt.ipVersion !== 0 && !pkt.laterFragment) {
      canonicalKey(w, i + KEY_AT, pkt.ipVersion === 6, pkt.src, pkt.dst, pkt.srcV4, pkt.dstV4, pkt.srcPort, pkt.dstPort, pkt.proto, false);
      w[i + 5] |= META_KEYED;
    }
    if (pkt.quoted !== null || pkt.dns !== null || pkt.sni !== null || pkt.epmPorts !== null || pkt.http !== null) {
      this.extras.push([slot, pkt.quoted, pkt.dns, pkt.sni, pkt.epmPorts, pkt.http]);
    }
  }
}

/**
 * One slot of a received batch, read in place: {@link PacketFields} as getters over the batch's
 * words, so the flow table reads a packet without it being copied into a {@link Packet} first.
 * {@link moveTo} selects the slot; slots must be visited in increasing order (the extras cursor).
 */
export class BatchPacket implements PacketFields {
  private i = 0;
  private f = 0;
  private nextExtra = 0;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  quoted: QuotedHeader | null = null;
  dns: DnsSummary | null = null;
  sni: string | null = null;
  epmPorts: number[] | null = null;
  http: HttpProxyFacts | null = null;

  constructor(
    private readonly buffer: ArrayBuffer,
    readonly count: number,
    private readonly extras: PacketBatchExtras,
  ) {
    this.i32 = new Int32Array(buffer, 0, count * I32_STRIDE);
    this.f64 = new Float64Array(buffer, 0, count * F64_STRIDE);
  }

  /** The batch's words: a slot's flow key is at {@link keyAt} (see FlowTable.addPacketWithKey). */
  get words(): Int32Array {
    return this.i32;
  }

  /** Where the current slot's flow key starts in {@link words}, or -1 when the packet has none. */
  get keyAt(): number {
    return (this.i32[this.i + 5] & META_KEYED) !== 0 ? this.i + KEY_AT : -1;
  }

  moveTo(slot: number): void {
    this.i = slot * I32_STRIDE;
    this.f = slot * F64_STRIDE;
    const extra = this.nextExtra < this.extras.length ? this.extras[this.nextExtra] : null;
    if (extra !== null && extra[0] === slot) {
      this.nextExtra++;
      this.quoted = extra[1];
      this.dns = extra[2];
      this.sni = extra[3];
      this.epmPorts = extra[4];
      this.http = extra[5];
    } else if (this.quoted !== null || this.dns !== null || this.sni !== null || this.epmPorts !== null || this.http !== null) {
      this.quoted = null;
      this.dns = null;
      this.sni = null;
      this.epmPorts = null;
      this.http = null;
    }
  }

  get tsMicros(): number {
    return this.f64[this.f];
  }
  get fileOffset(): number {
    return this.f64[this.f + 1];
  }
  get frame(): number {
    return this.i32[this.i + 4] >>> 0;
  }
  get ipVersion(): 0 | 4 | 6 {
    return (this.i32[this.i + 5] & 0xf) as 0 | 4 | 6;
  }
  get proto(): number {
    return (this.i32[this.i + 5] >>> 4) & 0xff;
  }
  get laterFragment(): boolean {
    return (this.i32[this.i + 5] & (1 << 12)) !== 0;
  }
  get truncated(): boolean {
    return (this.i32[this.i + 5] & (1 << 13)) !== 0;
  }
  get tcpFlags(): number {
    return (this.i32[this.i + 5] >>> 16) & 0xff;
  }
  get srcPort(): number {
    return this.i32[this.i + 6] >>> 16;
  }
  get dstPort(): number {
    return this.i32[this.i + 6] & 0xffff;
  }
  get tcpSeq(): number {
    return this.i32[this.i + 7] >>> 0;
  }
  get tcpAck(): number {
    return this.i32[this.i + 8] >>> 0;
  }
  get tcpWindow(): number {
    return this.i32[this.i + 9];
  }
  get ipLen(): number {
    return this.i32[this.i + 10];
  }
  get payloadLen(): number {
    return this.i32[this.i + 11];
  }
  get icmpType(): number {
    return this.i32[this.i + 12];
  }
  get icmpCode(): number {
    return this.i32[this.i + 13];
  }
  /** The address bytes, as a view of the batch (they were stored as the packet's own bytes). */
  get src(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.buffer, (this.i + 14) * 4, 16);
  }
  get dst(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.buffer, (this.i + 18) * 4, 16);
  }
  get srcV4(): number {
    return this.i32[this.i + 22] >>> 0;
  }
  get dstV4(): number {
    return this.i32[this.i + 23] >>> 0;
  }
}
