import { DiagnosticSink } from '../../../src/common/diagnostics.js';
import { formatIpv4, formatIpv6 } from '../../../src/common/ip.js';
import { decodeFrame } from '../../../src/decode/frame.js';
import { Packet } from '../../../src/decode/types.js';
import { frameOf, type FrameOptions } from '../../support/packet-builder.js';

/** Decodes one frame into a fresh Packet; returns the packet, the sink and decodeFrame's result. */
export function decode(linkType: number, data: Uint8Array, opts: FrameOptions = {}) {
  const pkt = new Packet();
  const diag = new DiagnosticSink();
  const ok = decodeFrame(frameOf(linkType, data, opts), pkt, diag);
  return { ok, pkt, diag };
}

/** Source and destination of a decoded packet as text. */
export function addrs(pkt: Packet): [string, string] {
  if (pkt.ipVersion === 4) return [formatIpv4(pkt.src), formatIpv4(pkt.dst)];
  return [formatIpv6(pkt.src), formatIpv6(pkt.dst)];
}

/** Text of a 16-byte address from a quoted header. */
export function quotedAddr(version: 4 | 6, b: Uint8Array): string {
  return version === 4 ? formatIpv4(b) : formatIpv6(b);
}

/**
 * Decodes Ethernet frames in order into one Packet, as one capture is (1 ms apart, numbered from 1;
 * `originalLen` for frames cut short): the state that lives across frames (reassembly, copies,
 * answers reported once) is exercised. Returns the packet and the sink.
 */
export function decodeSequence(frames: Uint8Array[], originalLen?: number): { pkt: Packet; diag: DiagnosticSink } {
  const pkt = new Packet();
  const diag = new DiagnosticSink();
  frames.forEach((data, i) => decodeFrame(frameOf(1, data, { tsMicros: SEQUENCE_T0 + i * 1000, index: i + 1, originalLen }), pkt, diag));
  return { pkt, diag };
}

const SEQUENCE_T0 = 1_714_557_600_000_000;
