/**
 * The shared outcome vocabulary (completed / refused / unanswered / unknown) and the one-line reason a
 * person reads, derived once per flow when it is emitted (never per packet).
 *
 * Mapping from Zeek's conn_state (../shared/reference/formats.md), and why:
 * - completed: SF, S1, S2, S3, RSTO, RSTR: the handshake finished, so the responder was reachable,
 *   whatever happened afterwards; UDP SF (the responder answered). Except when the originator sent
 *   a request and not one byte came back (see {@link noAnswerAfterHandshake}): a firewall, proxy or
 *   TLS-inspection device that lets the handshake through and then resets, ends or drops the
 *   request (the ClientHello naming login.microsoftonline.com) blocked it as surely as a dropped
 *   SYN. The services of the catalog all answer a request, so silence is not a success.
 * - refused: REJ (the SYN was answered by a RST), and any flow that an ICMP destination unreachable
 *   refused and that had not completed on its own.
 * - unanswered: S0, SH and RSTOS0 (the originator sent a SYN, maybe then a FIN or a RST, and never got a
 *   SYN-ACK: the classic silent drop; RSTOS0 is the originator giving up); UDP S0; an ICMP echo with no reply.
 * - unknown: OTH (midstream, no SYN seen), RSTRH and SHR (only the responder's SYN-ACK was seen, the
 *   originator's SYN was not captured), UDP SHR (only the responder spoke), other ICMP; S1 whose
 *   request had no answer yet when the data ended (it may have come after the capture stopped).
 */

import type { ConnState, IcmpRefusal, Outcome, Transport } from './types.js';

/** What the outcome decision needs to know about a flow. */
export interface OutcomeFacts {
  proto: Transport;
  connState: ConnState;
  /** SYNs the originator sent before any answer (TCP). */
  synCount: number;
  origPkts: number;
  respPkts: number;
  /** Payload bytes each way (TCP: from sequence numbers). */
  origBytes?: number;
  respBytes?: number;
  icmp?: IcmpRefusal;
  /** ICMP flows: IP version 6, the originator's first type, and whether it was an echo request. */
  icmpV6?: boolean;
  icmpType?: number;
  icmpEcho?: boolean;
  /** Zeek-style history (TCP): a `T` means the originator retransmitted data. */
  history?: string;
}

/**
 * The outcome of a connection to an explicit HTTP proxy that carried a request for `target`: the
 * proxy's answer decides, not the TCP handshake (which reached the proxy, not the target). A tunnel
 * (CONNECT) opens on 2xx and any other status refuses it (407: the proxy wants credentials the
 * client did not give; 403: its policy blocks the target). A fetch (GET http://...) is refused by
 * 407, 403, and 502 / 503 / 504 (the proxy could not reach the target); any other answer came from
 * the target itself. No status seen: unknown, since the answer may simply not be in the capture.
 */
export function proxyOutcome(method: string, target: string, status: number, statusText: string): { outcome: Outcome; reason: string } {
  const answer = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const tunnel = method === 'CONNECT';
  if (status === 0) return { outcome: 'unknown', reason: `${method} ${target} sent to the proxy, no answer seen` };
  const refused = tunnel ? status < 200 || status > 299 : status === 407 || status === 403 || (status >= 502 && status <= 504);
  if (refused) return { outcome: 'refused', reason: `proxy refused ${method} ${target}: ${answer}` };
  return { outcome: 'completed', reason: tunnel ? `proxy opened a tunnel to ${target} (${answer})` : `proxy fetched from ${target} (${answer})` };
}

/** A refusal reason {@link proxyOutcome} writes: `proxy refused CONNECT host:443: HTTP 407 ...`. */
const PROXY_REFUSAL = /^proxy refused [A-Z]+ \S+: HTTP (\d{3})\b/;

/** The proxy's status code in a refusal reason of {@link proxyOutcome}; null for any other reason. */
export function proxyRefusalStatus(reason: string): number | null {
  const m = PROXY_REFUSAL.exec(reason);
  return m ? Number(m[1]) : null;
}

/** `ICMP 3/13 administratively prohibited from 10.0.0.1` (ICMPv6: `ICMPv6 1/1 ...`). */
export function describeIcmpRefusal(icmp: IcmpRefusal): string {
  const family = icmp.family === 'icmp6' ? 'ICMPv6' : 'ICMP';
  return `${family} ${icmp.type}/${icmp.code} ${icmp.codeName} from ${icmp.from}`;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * An established TCP flow whose originator sent data and got none back: the request was refused or
 * dropped after the handshake. Null when the flow is not one (or RSTR, which tcpOutcome words itself).
 * - SF, S3: the connection was closed with no answer (by the responder, or by both sides): refused.
 * - S2, RSTO: the originator gave up (FIN or RST) waiting for an answer: unanswered.
 * - S1 (still open when the data ended): unanswered when the originator had to send its data again
 *   (a `T` in the history: nothing acknowledged it), else undetermined: the answer may simply have
 *   come after the capture stopped.
 */
function noAnswerAfterHandshake(f: OutcomeFacts): { outcome: Outcome; reason: string } | null {
  const sent = f.origBytes ?? 0;
  if (sent === 0 || f.respBytes === undefined || f.respBytes > 0) return null;
  const what = `${sent} ${sent === 1 ? 'byte' : 'bytes'}`;
  switch (f.connState) {
    case 'SF':
    case 'S3':
      return {
        outcome: 'refused',
        reason: `${f.connState}: established, then closed with no answer to the ${what} sent (a proxy or filter ending the request after the handshake?)`,
      };
    case 'S2':
    case 'RSTO':
      return {
        outcome: 'unanswered',
        reason: `${f.connState}: established, but no answer to the ${what} sent; the originator gave up (a filter dropping the request after the handshake, such as TLS inspection?)`,
      };
    case 'S1':
      return f.history?.includes('T')
        ? {
            outcome: 'unanswered',
            reason: `S1: established, but the ${what} sent were never answered nor acknowledged, even when sent again (a filter dropping the request after the handshake, such as TLS inspection?)`,
          }
        : { outcome: 'unknown', reason: `S1: established, ${what} sent, no answer yet when the data ends` };
    default:
      return null;
  }
}

/**
 * True when the originator's own packets prove an answer the capture does not hold: after its SYN
 * it acknowledged something or sent data (history `A`, `D`), which a TCP client only does once the
 * responder's SYN-ACK has reached it, yet no packet of the responder was captured. The capture sees
 * one direction only (a one-way SPAN or tap, asymmetric routing past the capture point, a filter).
 */
export function replyNotCaptured(f: Pick<OutcomeFacts, 'proto' | 'respPkts' | 'history'>): boolean {
  if (f.proto !== 'tcp' || f.respPkts !== 0) return false;
  const h = f.history ?? '';
  return h.startsWith('S') && (h.includes('A') || h.includes('D'));
}

function tcpOutcome(f: OutcomeFacts): { outcome: Outcome; reason: string } {
  const syns = f.synCount;
  if (replyNotCaptured(f)) {
    return {
      outcome: 'completed',
      reason:
        `${f.connState}: no packet of the responder was captured, but the originator acknowledged its SYN-ACK` +
        `${f.history?.includes('D') ? ' and sent data' : ''}: established (the capture sees one direction only)`,
    };
  }
  const silent = noAnswerAfterHandshake(f);
  if (silent) return silent;
  switch (f.connState) {
    case 'S0':
      return { outcome: 'unanswered', reason: `S0: SYN sent ${times(Math.max(syns, 1))}, no reply` };
    case 'REJ':
      return {
        outcome: 'refused',
        reason: syns > 1 ? `REJ: SYN sent ${syns} times, answered by RST` : 'REJ: SYN answered by RST',
      };
    case 'RSTOS0':
      return {
        outcome: 'unanswered',
        reason: `RSTOS0: SYN sent ${times(Math.max(syns, 1))}, no reply, then the originator reset`,
      };
    case 'SH':
      return { outcome: 'unanswered', reason: `SH: SYN sent ${times(Math.max(syns, 1))} then FIN, no reply` };
    case 'SF':
      return { outcome: 'completed', reason: 'SF: established and closed' };
    case 'S1':
      return { outcome: 'completed', reason: 'S1: established, not closed' };
    case 'S2':
      return { outcome: 'completed', reason: 'S2: established, closed by the originator only' };
    case 'S3':
      return { outcome: 'completed', reason: 'S3: established, closed by the responder only' };
    case 'RSTO':
      return { outcome: 'completed', reason: 'RSTO: established, then reset by the originator' };
    case 'RSTR':
      // A responder that completes the handshake and resets before sending one byte refused the
      // request: a transparent proxy or TLS/SNI filter answering the ClientHello with a RST, or a
      // service rejecting the client. The handshake alone does not prove the service answered.
      if ((f.respBytes ?? 1) === 0) {
        const sent = f.origBytes ?? 0;
        return {
          outcome: 'refused',
          reason:
            sent > 0
              ? `RSTR: established, then reset by the responder after ${sent} bytes from the originator and none back (a proxy or filter rejecting the request?)`
              : 'RSTR: established, then reset by the responder before any data',
        };
      }
      return { outcome: 'completed', reason: 'RSTR: established, then reset by the responder' };
    case 'RSTRH':
      return { outcome: 'unknown', reason: "RSTRH: responder's SYN-ACK then RST; the SYN was not seen" };
    case 'SHR':
      return { outcome: 'unknown', reason: "SHR: responder's SYN-ACK then FIN; the SYN was not seen" };
    default:
      return {
        outcome: 'unknown',
        reason:
          f.origPkts > 0 && f.respPkts > 0
            ? 'OTH: midstream, no handshake seen (both sides sent packets)'
            : 'OTH: midstream, no handshake seen',
      };
  }
}

function udpOutcome(f: OutcomeFacts): { outcome: Outcome; reason: string } {
  switch (f.connState) {
    case 'SF':
      return { outcome: 'completed', reason: `SF: ${plural(f.origPkts, 'packet')} sent, ${f.respPkts} back` };
    case 'S0':
      return { outcome: 'unanswered', reason: `UDP S0: ${plural(f.origPkts, 'packet')} sent, no reply` };
    case 'SHR':
      return { outcome: 'unknown', reason: `UDP SHR: only the responder was seen (${plural(f.respPkts, 'packet')})` };
    default:
      return { outcome: 'unknown', reason: 'UDP OTH: no packets seen' };
  }
}

function icmpOutcome(f: OutcomeFacts): { outcome: Outcome; reason: string } {
  if (f.icmpEcho) {
    return f.respPkts > 0
      ? { outcome: 'completed', reason: `ICMP echo: ${plural(f.origPkts, 'request')}, ${plural(f.respPkts, 'reply', 'replies')}` }
      : { outcome: 'unanswered', reason: `ICMP echo: ${plural(f.origPkts, 'request')}, no reply` };
  }
  const family = f.icmpV6 ? 'ICMPv6' : 'ICMP';
  return { outcome: 'unknown', reason: `${family} type ${f.icmpType ?? -1}: no request/reply exchange` };
}

/**
 * Decides a packet flow's outcome and reason. An ICMP destination unreachable overrides any outcome but
 * `completed`: a flow that completed on its own and later drew an ICMP error (a late reply to a closed
 * socket) stays completed, with the ICMP named in the reason.
 */
export function decideOutcome(f: OutcomeFacts): { outcome: Outcome; reason: string } {
  const base = f.proto === 'tcp' ? tcpOutcome(f) : f.proto === 'udp' ? udpOutcome(f) : icmpOutcome(f);
  if (!f.icmp) return base;
  const icmpText = describeIcmpRefusal(f.icmp);
  if (base.outcome === 'completed') return { outcome: 'completed', reason: `${base.reason}; later ${icmpText}` };
  return { outcome: 'refused', reason: icmpText };
}
