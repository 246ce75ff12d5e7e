/**
 * Per-endpoint TCP state, history letters and conn_state, after Zeek:
 * - endpoint states and their transitions: zeek:src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 *   (UpdateStateMachine and its Update*State helpers, init_endpoint, update_history, update_last_seq);
 * - conn_state derived at close from the two endpoint states: zeek:scripts/base/protocols/conn/main.zeek
 *   (function conn_state).
 *
 * Everything here runs once per TCP packet: plain numbers, no allocation, no strings except when a
 * history letter is added (a handful of times per connection).
 */

import type { ConnState } from './types.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type PacketFields } from '../decode/types.js';

/** Zeek's TCP endpoint states (TCP_Endpoint.h EndpointState). */
export const TCP_INACTIVE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_ACK_SENT = 2;
export const TCP_PARTIAL = 3;
export const TCP_ESTABLISHED = 4;
export const TCP_CLOSED = 5;
export const TCP_RESET = 6;

/** Zeek's TOO_LARGE_SEQ_DELTA: SYN/RST sequence jumps larger than this are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1_048_576;

// Bits for the letters Zeek records once per endpoint (CheckHistory masks).
const HIST_SYN = 1;
const HIST_FIN = 2;
const HIST_RST = 4;
const HIST_ACK = 8;
const HIST_DATA = 16;
const HIST_MULTI_FLAG = 32;
const HIST_FIN_RST = 64;

/** Relative sequence numbers are kept as doubles (exact to 2^53), so flows over 4 GiB still add up. */
export class TcpEndpoint {
  state = TCP_INACTIVE;
  prevState = TCP_INACTIVE;
  /** Zeek's did_close: this endpoint's FIN or RST has been processed as a close. */
  didClose = false;
  /**
   * Absolute sequence numbers (startSeq, lastAbs, ackAbs) are kept as int32 bit patterns (`seq | 0`),
   * not as unsigned values: V8 stores int32 numbers unboxed (as small integers on 64-bit builds
   * without pointer compression), while values above 2^31 would each live in a heap-number box that
   * every packet dereferences. Only differences `(a - b) | 0` and equality are ever used, and both
   * are the same for either representation (arithmetic modulo 2^32).
   *
   * Sequence number of the start (the SYN, or first seq - 1 for a partial start).
   */
  startSeq = 0;
  /** Last sequence number (one past the highest segment), absolute and relative to startSeq. */
  lastAbs = 0;
  lastRel = 0;
  /** Highest sequence number of this endpoint acknowledged by the peer, absolute and relative. */
  ackAbs = 0;
  ackRel = 0;
  finCount = 0;
  histBits = 0;
  lastSynRel = 0;
  lastFinRel = 0;
  lastRstRel = 0;
  rxmitCount = 0;
  rxmitThreshold = 1;
  zeroWindowCount = 0;
  zeroWindowThreshold = 1;

  /** Back to the state of a new endpoint (same values as the field initialisers; endpoints are recycled). */
  reset(): void {
    this.state = TCP_INACTIVE;
    this.prevState = TCP_INACTIVE;
    this.didClose = false;
    this.startSeq = 0;
    this.lastAbs = 0;
    this.lastRel = 0;
    this.ackAbs = 0;
    this.ackRel = 0;
    this.finCount = 0;
    this.histBits = 0;
    this.lastSynRel = 0;
    this.lastFinRel = 0;
    this.lastRstRel = 0;
    this.rxmitCount = 0;
    this.rxmitThreshold = 1;
    this.zeroWindowCount = 0;
    this.zeroWindowThreshold = 1;
  }

  /** Sets the sequence space from a packet; `lastAbs` given separately as Zeek's init_endpoint does. */
  initSeq(start: number, last: number): void {
    this.startSeq = start | 0;
    this.ackAbs = this.startSeq;
    this.ackRel = 0;
    this.lastAbs = last | 0;
    this.lastRel = ((this.lastAbs - this.startSeq) | 0) >>> 0;
  }

  /** Position of absolute sequence number `seq` relative to startSeq (signed, wrap-aware). */
  relative(seq: number): number {
    return this.lastRel + ((seq - this.lastAbs) | 0);
  }

  setState(s: number): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /**
   * Payload bytes as Zeek reports orig_bytes/resp_bytes: the sequence space covered (by data seen or
   * acknowledged), minus the SYN and FIN octets. Retransmissions do not count twice.
   */
  size(): number {
    let size = this.ackRel > this.lastRel ? this.ackRel : this.lastRel;
    if (size > 0) size--;
    if (this.finCount > 0 && size > 0) size--;
    return size;
  }
}

/** What one TCP packet did to a connection, beyond the endpoint fields. */
export interface TcpConnection {
  orig: TcpEndpoint;
  resp: TcpEndpoint;
  /** Zeek history string; uppercase letters for the originator. */
  history: string;
  /** True once Zeek would consider the close complete (both FINs, a RST, or a half-open close). */
  closeComplete: boolean;
}

function addHistory(c: TcpConnection, isOrig: boolean, upper: string): void {
  // One-character strings from fromCharCode come from V8's single-character cache (no allocation).
  c.history += isOrig ? upper : String.fromCharCode(upper.charCodeAt(0) | 0x20);
}

/** Zeek's CheckHistory: records the letter the first time; returns true when it was seen before. */
function checkHistory(c: TcpConnection, ep: TcpEndpoint, isOrig: boolean, bit: number, upper: string): boolean {
  if (ep.histBits & bit) return true;
  ep.histBits |= bit;
  addHistory(c, isOrig, upper);
  return false;
}

/** Zeek's ScaledHistoryEntry: the letter again at 1, 10, 100 ... occurrences. */
function scaledRetransmit(c: TcpConnection, ep: TcpEndpoint, isOrig: boolean): void {
  if (++ep.rxmitCount === ep.rxmitThreshold) {
    addHistory(c, isOrig, 'T');
    ep.rxmitThreshold *= 10;
  }
}

function scaledZeroWindow(c: TcpConnection, ep: TcpEndpoint, isOrig: boolean): void {
  if (++ep.zeroWindowCount === ep.zeroWindowThreshold) {
    addHistory(c, isOrig, 'W');
    ep.zeroWindowThreshold *= 10;
  }
}

/**
 * Applies one TCP packet to the connection (Zeek's TCPSessionAdapter::Process, minus reassembly).
 * Returns true when the packet should update the connection's last time (Zeek stops moving it once
 * both sides have closed, so trailing ACKs do not stretch the duration).
 *
 * Takes the decoded packet rather than its fields as arguments: sequence numbers are unsigned
 * 32-bit values, which V8 cannot pass to a non-inlined call without boxing each in a heap number,
 * i.e. two allocations per TCP packet. Reads `tcpFlags`, `tcpSeq`, `tcpAck` (absolute 32-bit),
 * `tcpWindow` and `payloadLen` (TCP payload bytes as the headers declare).
 */
export function processTcpPacket(c: TcpConnection, isOrig: boolean, pkt: PacketFields): boolean {
  const flags = pkt.tcpFlags;
  const seq = pkt.tcpSeq;
  const ack = pkt.tcpAck;
  const window = pkt.tcpWindow;
  const len = pkt.payloadLen;
  const ep = isOrig ? c.orig : c.resp;
  const peer = isOrig ? c.resp : c.orig;
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const hasAck = (flags & TCP_ACK) !== 0;

  // get_segment_len: SYN and FIN take one octet each; a RST's data is not part of the stream.
  let segLen = rst ? 0 : len;
  if (syn) segLen++;
  if (fin) segLen++;
  const seqEnd = (seq + segLen) >>> 0;

  // init_endpoint
  switch (ep.state) {
    case TCP_INACTIVE:
      if (syn) ep.initSeq(seq, seqEnd);
      // Partial connection: number the bytes as though a SYN had been seen, and make sure the
      // first packet is not taken for a retransmission.
      else ep.initSeq(seq - 1, seq);
      break;
    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      if (syn && (seq | 0) !== ep.startSeq) ep.initSeq(seq, seqEnd);
      break;
    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      if (syn) ep.initSeq(seq, seqEnd);
      break;
    case TCP_RESET:
      if (syn && ep.prevState === TCP_INACTIVE) ep.initSeq(seq, seqEnd);
      break;
    default:
      break;
  }

  const relSeq = ep.relative(seq);

  // update_history
  const bitsSet = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bitsSet > 1) {
    if (fin && rst) checkHistory(c, ep, isOrig, HIST_FIN_RST, 'I');
    else checkHistory(c, ep, isOrig, HIST_MULTI_FLAG, 'Q');
  } else if (bitsSet === 1) {
    if (syn) {
      const code = hasAck ? 'H' : 'S';
      if (checkHistory(c, ep, isOrig, HIST_SYN, code) && relSeq !== ep.lastSynRel) addHistory(c, isOrig, code);
      ep.lastSynRel = relSeq;
    }
    if (fin) {
      // A FIN's sequence number sits after the data it carries.
      if (checkHistory(c, ep, isOrig, HIST_FIN, 'F') && relSeq + len !== ep.lastFinRel) addHistory(c, isOrig, 'F');
      ep.lastFinRel = relSeq + len;
    }
    if (rst) {
      if (checkHistory(c, ep, isOrig, HIST_RST, 'R') && relSeq !== ep.lastRstRel) addHistory(c, isOrig, 'R');
      ep.lastRstRel = relSeq;
    }
  } else if (len > 0) {
    checkHistory(c, ep, isOrig, HIST_DATA, 'D');
  } else if (hasAck) {
    checkHistory(c, ep, isOrig, HIST_ACK, 'A');
  }

  // update_window: a zero window is news unless it comes with or after a RST or after the peer's FIN.
  if (window === 0 && !rst && peer.state !== TCP_CLOSED && ep.state !== TCP_RESET) scaledZeroWindow(c, ep, isOrig);

  const touchesLastTime = !c.orig.didClose || !c.resp.didClose;

  if (fin) ep.finCount++;

  if (hasAck) {
    if (peer.state === TCP_INACTIVE) {
      // init_peer: number the peer's bytes from this acknowledgement as if its SYN had been seen.
      peer.initSeq(ack - 1, ack - 1);
    } else if (!rst) {
      // update_ack_seq (acknowledgements in RSTs are not trusted).
      const d = (ack - peer.ackAbs) | 0;
      if (!(ack === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) {
        peer.ackAbs = ack | 0;
        peer.ackRel += d;
      }
    }
  }

  // update_last_seq
  const deltaLast = (seqEnd - ep.lastAbs) | 0;
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // Outlandish SYN/RST sequence numbers are ignored.
  } else if (fin && ep.lastRel === 1) {
    // Only the SYN and now the FIN seen: accept the FIN's position even past 2 GiB.
    ep.lastRel += deltaLast >>> 0;
    ep.lastAbs = seqEnd | 0;
  } else if (ep.state === TCP_RESET) {
    // Nothing after a RST is trusted.
  } else if (deltaLast > 0) {
    ep.lastRel += deltaLast;
    ep.lastAbs = seqEnd | 0;
  } else if (len > 0) {
    scaledRetransmit(c, ep, isOrig);
  }

  updateStateMachine(c, ep, peer, isOrig, syn, fin, rst, hasAck, len);
  return touchesLastTime;
}

function updateStateMachine(
  c: TcpConnection,
  ep: TcpEndpoint,
  peer: TcpEndpoint,
  isOrig: boolean,
  syn: boolean,
  fin: boolean,
  rst: boolean,
  hasAck: boolean,
  len: number,
): void {
  let doClose = false;
  switch (ep.state) {
    case TCP_INACTIVE:
      if (syn) {
        if (isOrig) {
          ep.setState(hasAck ? TCP_SYN_ACK_SENT : TCP_SYN_SENT);
        } else {
          // A SYN from the responder (normally the SYN-ACK) establishes the originator's attempt.
          if (peer.state === TCP_SYN_SENT) peer.setState(TCP_ESTABLISHED);
          ep.setState(TCP_ESTABLISHED);
        }
      }
      if (fin) {
        ep.setState(TCP_CLOSED);
        doClose = true;
      }
      if (rst) {
        ep.setState(TCP_RESET);
        doClose = true;
      }
      if (ep.state === TCP_INACTIVE) {
        if (!isOrig && len === 0 && c.orig.state === TCP_SYN_SENT) {
          // Some stacks ACK a SYN before sending the SYN-ACK: not a partial connection.
        } else if (hasAck && peer.state === TCP_ESTABLISHED) {
          // SYN-ACK seen, the SYN was missed, and now the ACK: established after all.
          ep.setState(TCP_ESTABLISHED);
        } else {
          ep.setState(TCP_PARTIAL);
        }
      }
      break;

    case TCP_SYN_SENT:
    case TCP_SYN_ACK_SENT:
      if (fin) {
        ep.setState(TCP_CLOSED);
        doClose = true;
      }
      if (rst) {
        ep.setState(TCP_RESET);
        doClose = true;
      }
      break;

    case TCP_ESTABLISHED:
    case TCP_PARTIAL:
      if (syn && ep.state === TCP_PARTIAL && peer.state === TCP_INACTIVE && !hasAck) ep.setState(TCP_SYN_SENT);
      if (fin && !rst) {
        ep.setState(TCP_CLOSED);
        // A FIN followed by a RST from the peer was a normal termination after all.
        if (peer.state === TCP_RESET && peer.prevState === TCP_CLOSED) peer.setState(TCP_CLOSED);
        doClose = true;
      }
      if (rst) {
        ep.setState(TCP_RESET);
        doClose = true;
      }
      break;

    case TCP_CLOSED:
      // After a FIN exchange, a RST does not change the state.
      if (rst && peer.state !== TCP_CLOSED) {
        ep.setState(TCP_RESET);
        if (!ep.didClose) doClose = true;
      }
      break;

    default: // TCP_RESET: nothing moves it.
      break;
  }

  if (doClose && !ep.didClose) {
    // ConnectionClosed: complete once a RST was sent, the peer closed too, or the peer never spoke.
    ep.didClose = true;
    if (ep.state === TCP_RESET || peer.didClose || peer.state === TCP_INACTIVE) c.closeComplete = true;
  }
}

const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/;

/**
 * Zeek's conn_state for TCP from the two endpoint states (base/protocols/conn/main.zeek).
 * `origSize`/`respSize` are the payload sizes; `history` the full history string.
 */
export function tcpConnState(c: TcpConnection): ConnState {
  const os = c.orig.state;
  const rs = c.resp.state;
  const oInactive = os === TCP_INACTIVE || os === TCP_PARTIAL;
  const rInactive = rs === TCP_INACTIVE || rs === TCP_PARTIAL;
  if (rs === TCP_RESET) {
    if (
      os === TCP_SYN_SENT ||
      os === TCP_SYN_ACK_SENT ||
      (os === TCP_RESET && c.orig.size() === 0 && c.resp.size() === 0)
    ) {
      return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === TCP_RESET) {
    if (rInactive) return RSTOS0_HISTORY.test(c.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === TCP_CLOSED && os === TCP_CLOSED) return 'SF';
  if (os === TCP_CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === TCP_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === TCP_SYN_SENT && rs === TCP_INACTIVE) return 'S0';
  if (os === TCP_ESTABLISHED && rs === TCP_ESTABLISHED) return 'S1';
  return 'OTH';
}
