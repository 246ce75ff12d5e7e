import type { Scenario } from './model.js';
import type { ScenarioFlow } from './compile.js';

/**
 * Flow-log renderings of a compiled scenario, as the hosts and NSGs involved would have logged it.
 */

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock text of a UTC time in a fixed offset zone (minutes east of UTC). */
function localParts(tsMicros: number, offsetMinutes: number): { date: string; time: string } {
  const d = new Date(Math.floor(tsMicros / 1000) + offsetMinutes * 60_000);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

/**
 * The Windows Defender Firewall log (pfirewall.log, with the pid column) of host `hostIp`, whose
 * clock is `offsetMinutes` east of UTC. Connections the host receives on `droppedPorts` are
 * dropped by its firewall: one DROP line per SYN, as Windows logs them; everything else is ALLOW.
 */
export function renderPfirewall(s: Scenario, flows: ScenarioFlow[], hostIp: string, offsetMinutes: number, droppedPorts: number[]): string {
  const lines = [
    '#Version: 1.5',
    '#Software: Microsoft Windows Firewall',
    '#Time Format: Local',
    '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid',
    '',
  ];
  const entries: { ts: number; line: string }[] = [];
  for (const f of flows) {
    const send = f.src === hostIp;
    const receive = f.dst === hostIp;
    if (!send && !receive) continue;
    const proto = f.proto.toUpperCase();
    if (receive && droppedPorts.includes(f.dport)) {
      // one line per dropped packet: the SYN and its retransmissions, a second apart and doubling
      let t = f.tsMicros;
      let gap = 1_000_000;
      for (let i = 0; i < f.pktsOut; i++) {
        const { date, time } = localParts(t, offsetMinutes);
        entries.push({ ts: t, line: `${date} ${time} DROP ${proto} ${f.src} ${f.dst} ${f.sport} ${f.dport} 52 S 0 0 64240 - - - RECEIVE 4` });
        t += gap;
        gap *= 2;
      }
      continue;
    }
    const { date, time } = localParts(f.tsMicros, offsetMinutes);
    entries.push({ ts: f.tsMicros, line: `${date} ${time} ALLOW ${proto} ${f.src} ${f.dst} ${f.sport} ${f.dport} 0 - - - - - - - ${send ? 'SEND' : 'RECEIVE'} ${send ? 3480 : 4}` });
  }
  // A firewall log is written in time order; the sort is stable for lines of the same second.
  entries.sort((a, b) => a.ts - b.ts);
  for (const e of entries) lines.push(e.line);
  return lines.join('\r\n') + '\r\n';
}

/**
 * An NSG flow log v2 PT1H.json for the NSG in front of `subnetPrefix` hosts: one record per
 * minute with B and E tuples; flows to `deniedPorts` are denied by `denyRule` (one D tuple each).
 */
export function renderNsgV2(s: Scenario, flows: ScenarioFlow[], nsgId: string, mac: string, deniedPorts: number[], denyRule: string): string {
  const allow: string[] = [];
  const deny: string[] = [];
  for (const f of flows) {
    const sec = Math.floor(f.tsMicros / 1e6);
    const end = Math.floor(f.endMicros / 1e6);
    const p = f.proto === 'tcp' ? 'T' : 'U';
    if (deniedPorts.includes(f.dport)) {
      deny.push(`${sec},${f.src},${f.dst},${f.sport},${f.dport},${p},I,D,B,,,,`);
      continue;
    }
    allow.push(`${sec},${f.src},${f.dst},${f.sport},${f.dport},${p},I,A,B,,,,`);
    allow.push(`${end},${f.src},${f.dst},${f.sport},${f.dport},${p},I,A,E,${f.pktsOut},${f.bytesOut},${f.pktsBack},${f.bytesBack}`);
  }
  const record = (rule: string, tuples: string[]) => ({
    time: new Date(Date.parse(s.start)).toISOString(),
    systemId: '5a1c1f0e-6d2b-4f5e-9c1a-2b3c4d5e6f70',
    macAddress: mac,
    category: 'NetworkSecurityGroupFlowEvent',
    resourceId: nsgId,
    operationName: 'NetworkSecurityGroupFlowEvents',
    properties: { Version: 2, flows: [{ rule, flows: [{ mac, flowTuples: tuples }] }] },
  });
  return JSON.stringify({ records: [record('UserRule_Allow-Identity-Inbound', allow), record(denyRule, deny)] }, null, 1) + '\n';
}
