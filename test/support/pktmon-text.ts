/**
 * Writes traces as `pktmon etl2txt` prints them (see src/sources/pktmon-text.ts for the notation):
 * per packet, a header line and the packet's text, indented; each packet at one or more components.
 */

export interface PktmonPacketSpec {
  /** Local time of the first appearance, `2026-11-20 09:15:02.100000000`. */
  time: string;
  group: number;
  direction: 'Rx' | 'Tx';
  /** The packet as pktmon prints it after the link layer: `10.0.0.20.50123 > 10.0.0.11.389: Flags [S], seq 1000, win 64240, length 0`. */
  ip: string;
  /** Components it is logged at, in order (default one). */
  appearances?: number;
  /** Dropped after its appearances, with this DropReason. */
  dropReason?: string;
}

export function pktmonLine(p: PktmonPacketSpec, appearance: number, drop: boolean): string {
  const head = `[00]0004.0300::${p.time} [Microsoft-Windows-PktMon] `;
  if (drop) {
    return (
      `${head}Drop: PktGroupId ${p.group}, PktNumber 1, Appearance 0, Direction ${p.direction} , Type IP , Component 49, Filter 0, ` +
      `DropReason ${p.dropReason} , DropLocation 0xE0004627, OriginalSize 52, LoggedSize 52\n        Drop: ip: ${p.ip}\n`
    );
  }
  return (
    `${head}PktGroupId ${p.group}, PktNumber 1, Appearance ${appearance}, Direction ${p.direction} , Type Ethernet , Component ${10 + appearance}, Edge 1, Filter 0, OriginalSize 66, LoggedSize 66\n` +
    `        00-15-5D-01-02-20 > 00-15-5D-01-02-11, ethertype IPv4 (0x0800), length 66: ${p.ip}\n`
  );
}

export function pktmonTrace(packets: PktmonPacketSpec[]): string {
  let out = '';
  for (const p of packets) {
    for (let a = 1; a <= (p.appearances ?? 1); a++) out += pktmonLine(p, a, false);
    if (p.dropReason !== undefined) out += pktmonLine(p, 0, true);
  }
  return out;
}

/** A TCP connection that completes (handshake, one exchange, close) between `client` and `server`. */
export function completedTcp(time: (k: number) => string, group: number, client: string, cport: number, server: string, sport: number): PktmonPacketSpec[] {
  const c = `${client}.${cport}`;
  const s = `${server}.${sport}`;
  const lines: [string, 'Rx' | 'Tx'][] = [
    [`${c} > ${s}: Flags [S], seq 5000, win 64240, length 0`, 'Rx'],
    [`${s} > ${c}: Flags [S.], seq 9000, ack 5001, win 65535, length 0`, 'Tx'],
    [`${c} > ${s}: Flags [.], ack 9001, win 1026, length 0`, 'Rx'],
    [`${c} > ${s}: Flags [P.], seq 5001:5301, ack 9001, win 1026, length 300`, 'Rx'],
    [`${s} > ${c}: Flags [P.], seq 9001:9201, ack 5301, win 65000, length 200`, 'Tx'],
    [`${c} > ${s}: Flags [F.], seq 5301, ack 9201, win 1026, length 0`, 'Rx'],
    [`${s} > ${c}: Flags [F.], seq 9201, ack 5302, win 65000, length 0`, 'Tx'],
    [`${c} > ${s}: Flags [.], ack 9202, win 1026, length 0`, 'Rx'],
  ];
  return lines.map(([ip, direction], k) => ({ time: time(k), group: group + k, direction, ip }));
}
