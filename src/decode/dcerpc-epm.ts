/**
 * Ports handed out on TCP 135 by the RPC endpoint mapper and the DCOM activator (both served by
 * RPCSS on 135). A client asks there which high port an interface listens on, then connects to it:
 * the audit matches that later flow to the dynamic-RPC rule. Spec: DCE 1.1 RPC (C706) chapter 12
 * (connection-oriented PDUs) and appendix L (protocol towers); MS-RPCE 2.2.1.2; MS-DCOM 2.2.19
 * (DUALSTRINGARRAY / STRINGBINDING).
 *
 * Approach, deliberately pragmatic: after validating the connection-oriented PDU header (version 5.0
 * or 5.1, PTYPE response, sane frag_length), we SCAN the stub bytes for two fixed shapes instead of
 * unmarshalling NDR:
 *
 * 1. A tower floor for TCP (appendix L): LHS length 1 (`01 00`, little-endian per appendix L),
 *    protocol id 0x07, RHS length 2 (`02 00`), then the port BIG-endian: `01 00 07 02 00 PP PP`.
 *    ept_map (opnum 3) and ept_lookup (opnum 2) responses both carry such towers.
 * 2. A DCOM string binding (MS-DCOM 2.2.19.3): wTowerId 0x0007 (ncacn_ip_tcp, `07 00`) followed by a
 *    NUL-terminated UTF-16LE network address `host[port]`, as RemoteCreateInstance and
 *    ResolveOxid2 responses return the object exporter's port.
 *
 * Why scan: a full NDR walk needs the request's opnum (responses do not carry it), pointer and
 * conformance bookkeeping per call, and the whole PDU, whereas a response is often split across TCP
 * segments and we see one segment at a time. The shapes are specific (a 5-byte fixed prefix; a
 * tower id, then bracketed decimal digits in UTF-16) and are only searched in validated RPC
 * responses from port 135, so false hits are unlikely; port 0 (a request's placeholder) is ignored.
 */
import type { DiagnosticSink } from '../common/diagnostics.js';
import type { Frame } from '../sources/types.js';
import { readU16, readU16LE } from './cursor.js';
import type { Packet } from './types.js';

export const DCERPC_EPM_PORT = 135;
export const DCERPC_PTYPE_RESPONSE = 2;
/** Common header (16) + response header fields alloc_hint, p_cont_id, cancel_count, reserved (8). */
export const DCERPC_RESPONSE_HEADER_LEN = 24;
/** Protocol identifier of a TCP port floor (C706 appendix I / L). */
export const TOWER_PROTOCOL_TCP = 0x07;
/** More ports than this in one segment is not an endpoint-mapper answer; keep memory bounded. */
const MAX_PORTS = 32;
/** At most this many PDUs are examined per segment. */
const MAX_PDUS_PER_SEGMENT = 16;

/**
 * Cheap first test on a TCP payload from port 135: a connection-oriented DCE/RPC response header
 * (rpc_vers 5, rpc_vers_minor 0 or 1, PTYPE 2).
 */
export function looksLikeDcerpcResponse(b: Uint8Array, off: number, end: number): boolean {
  return off + DCERPC_RESPONSE_HEADER_LEN <= end && b[off] === 5 && b[off + 1] <= 1 && b[off + 2] === DCERPC_PTYPE_RESPONSE;
}

/**
 * Scans the DCE/RPC response PDU(s) starting at `off` for TCP ports handed out (see the module
 * comment for the two shapes) and sets `pkt.epmPorts` (deduplicated, in order of appearance) when
 * any is found. The caller checked {@link looksLikeDcerpcResponse}.
 *
 * @param end end of the captured bytes of this TCP segment's payload
 */
export function decodeEpmResponse(b: Uint8Array, off: number, end: number, pkt: Packet, frame: Frame, diag: DiagnosticSink): void {
  const ports: number[] = [];
  let pdu = off;
  for (let n = 0; n < MAX_PDUS_PER_SEGMENT && looksLikeDcerpcResponse(b, pdu, end); n++) {
    // packed_drep[0] bit 4 set: little-endian integers (C706 section 14.1).
    const littleEndian = (b[pdu + 4] & 0x10) !== 0;
    const fragLen = littleEndian ? readU16LE(b, pdu + 8) : readU16(b, pdu + 8);
    const authLen = littleEndian ? readU16LE(b, pdu + 10) : readU16(b, pdu + 10);
    if (fragLen < DCERPC_RESPONSE_HEADER_LEN + (authLen > 0 ? authLen + 8 : 0)) {
      diag.report('dcerpc_malformed', frame.origin, `DCE/RPC response frag_length ${fragLen} is shorter than its headers`);
      break;
    }
    // The auth verifier (sec_trailer 8 bytes + auth_length) ends the PDU; it is not stub data.
    const stubEnd = Math.min(pdu + fragLen - (authLen > 0 ? authLen + 8 : 0), end);
    scanTowerFloors(b, pdu + DCERPC_RESPONSE_HEADER_LEN, stubEnd, ports);
    scanStringBindings(b, pdu + DCERPC_RESPONSE_HEADER_LEN, stubEnd, ports);
    pdu += fragLen;
  }
  if (ports.length > 0) pkt.epmPorts = ports;
}

function addPort(ports: number[], port: number): void {
  if (port !== 0 && ports.length < MAX_PORTS && !ports.includes(port)) ports.push(port);
}

/** Finds `01 00 07 02 00 PP PP` (TCP port floor) in `b[start .. end)`. */
function scanTowerFloors(b: Uint8Array, start: number, end: number, ports: number[]): void {
  for (let i = start; i + 7 <= end; i++) {
    if (b[i] === 0x01 && b[i + 1] === 0x00 && b[i + 2] === TOWER_PROTOCOL_TCP && b[i + 3] === 0x02 && b[i + 4] === 0x00) {
      addPort(ports, readU16(b, i + 5));
      i += 6;
    }
  }
}

/**
 * Finds DCOM string bindings `07 00 <UTF-16LE text> [ digits ] 00 00` in `b[start .. end)`: a UTF-16
 * `[` with 1-5 decimal digits, `]` and the NUL terminator, whose string starts right after a `07 00`
 * tower id (walking back over printable UTF-16 characters).
 */
function scanStringBindings(b: Uint8Array, start: number, end: number, ports: number[]): void {
  // NDR aligns the strings to 2 bytes of the stub; the stub itself may start at any offset, so every
  // byte position is tried.
  for (let at = start; at + 2 <= end; at++) {
    if (b[at] !== 0x5b || b[at + 1] !== 0x00) continue;
    let p = at + 2;
    let port = 0;
    let digits = 0;
    while (p + 2 <= end && digits < 6 && b[p + 1] === 0 && b[p] >= 0x30 && b[p] <= 0x39) {
      port = port * 10 + (b[p] - 0x30);
      digits++;
      p += 2;
    }
    if (digits === 0 || digits > 5 || port > 0xffff) continue;
    if (p + 4 > end || b[p] !== 0x5d || b[p + 1] !== 0 || b[p + 2] !== 0 || b[p + 3] !== 0) continue;
    if (precededByTcpTowerId(b, start, at)) addPort(ports, port);
  }
}

function precededByTcpTowerId(b: Uint8Array, start: number, bracket: number): boolean {
  // Walk back over the network address (printable UTF-16LE, at most 256 characters).
  let p = bracket - 2;
  for (let n = 0; n < 256 && p >= start; n++, p -= 2) {
    if (b[p] === TOWER_PROTOCOL_TCP && b[p + 1] === 0x00) return p + 2 < bracket;
    if (b[p + 1] !== 0 || b[p] < 0x20 || b[p] > 0x7e) return false;
  }
  return false;
}
