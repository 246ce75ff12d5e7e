/**
 * Second copies of one packet in a capture.
 *
 * Windows logs one packet more than once in the captures its admins take: pktmon logs it at every
 * component it passes (NIC, filter drivers, TCP/IP; its pcapng keeps no trace of which), Npcap logs
 * sent packets twice on some hosts, and a SPAN session mirroring two ports of one path sees each
 * packet on both. Counted as they come, every copy would look like a retransmission: a SYN sent
 * once reads "SYN sent 4 times", and a request still waiting for its answer when the capture stops
 * reads "sent again, never answered", which the audit judges blocked.
 *
 * A copy is a packet whose headers are identical to those of a packet decoded within
 * {@link COPY_WINDOW_MICROS} before it ({@link NUMBERED_COPY_WINDOW_MICROS} when it carries an IPv4
 * Identification): addresses, IPv4 Identification, lengths, ports, TCP
 * sequence, acknowledgement, flags and window, ICMP type and code, and the transport checksum
 * (which covers the payload). A retransmission is not a copy: its IPv4 Identification differs
 * (Windows and Linux number every packet they send), and it comes a retransmission timeout later
 * (hundreds of milliseconds), not microseconds. Recent packets are kept in a direct-mapped table
 * by a hash of their headers, and compared field by field: a few stores and one compare per packet
 * (this runs on every packet of every capture).
 */
import type { Packet } from './types.js';

/** Copies come microseconds apart (the packet's way through one host's stack, or one switch). */
export const COPY_WINDOW_MICROS = 2_000;
/**
 * With an IPv4 Identification (not 0), a packet sent again has another one: identical headers are a
 * copy even when a loaded host logged it later (pktmon's components, queued behind other traffic).
 */
export const NUMBERED_COPY_WINDOW_MICROS = 100_000;
/**
 * Remembered packets (a power of two): copies come within a few packets of each other, and a small
 * table stays in the processor's cache. A slot is overwritten by a later packet of the same slot.
 */
const SLOTS = 1024;
/** Header words kept per packet (see {@link RecentPackets.earlierCopy}). */
const WORDS = 9;

export class RecentPackets {
  private readonly words = new Int32Array(SLOTS * WORDS);
  private readonly ts = new Float64Array(SLOTS).fill(-Infinity);
  private readonly frame = new Float64Array(SLOTS);
  /** Set once the capture's first copy has been reported (the rest are counted only). */
  reported = false;

  /**
   * The frame number of an earlier copy of `pkt` (decoded at most COPY_WINDOW_MICROS before it),
   * or -1: then `pkt` takes its slot, for the packets after it.
   */
  earlierCopy(pkt: Packet): number {
    const w0 = pkt.proto | ((pkt.tcpFlags & 0xff) << 8) | ((pkt.icmpType & 0xff) << 16) | ((pkt.icmpCode & 0xff) << 24);
    const w1 = pkt.ipLen | (pkt.ipId << 16);
    const w2 = (pkt.srcPort << 16) | pkt.dstPort;
    const w3 = pkt.tcpSeq | 0;
    const w4 = pkt.tcpAck | 0;
    const w5 = pkt.tcpWindow | (pkt.l4Check << 16);
    const w6 = pkt.payloadLen | (pkt.ipVersion << 24);
    // An IPv4 address is its first word (the others are 0); an IPv6 one is folded into a word.
    const s = pkt.src32;
    const d = pkt.dst32;
    const w7 = s[0] ^ Math.imul(s[1] ^ s[2] ^ s[3], 0x9e3779b1);
    const w8 = d[0] ^ Math.imul(d[1] ^ d[2] ^ d[3], 0x85ebca77);
    let h = Math.imul(w3 ^ w2, 0x9e3779b1) ^ Math.imul(w4 ^ w1 ^ w7, 0x85ebca77) ^ Math.imul(w5 ^ w6 ^ w8, 0xc2b2ae3d);
    h ^= h >>> 15;
    const slot = Math.imul(h, 0x2c1b3c6d) >>> (32 - SLOT_BITS);
    const at = slot * WORDS;
    const m = this.words;
    const dt = pkt.tsMicros - this.ts[slot];
    if (
      dt >= 0 &&
      dt <= (pkt.ipId !== 0 ? NUMBERED_COPY_WINDOW_MICROS : COPY_WINDOW_MICROS) &&
      m[at + 3] === w3 &&
      m[at + 4] === w4 &&
      m[at + 1] === w1 &&
      m[at + 5] === w5 &&
      m[at + 2] === w2 &&
      m[at] === w0 &&
      m[at + 6] === w6 &&
      m[at + 7] === w7 &&
      m[at + 8] === w8
    ) {
      return this.frame[slot];
    }
    m[at] = w0;
    m[at + 1] = w1;
    m[at + 2] = w2;
    m[at + 3] = w3;
    m[at + 4] = w4;
    m[at + 5] = w5;
    m[at + 6] = w6;
    m[at + 7] = w7;
    m[at + 8] = w8;
    this.ts[slot] = pkt.tsMicros;
    this.frame[slot] = pkt.frame;
    return -1;
  }
}

const SLOT_BITS = Math.log2(SLOTS);
