// Micro-benchmark of FlowTable.addPacket alone (no reading, no decoding).
// Usage: npm run build && node bench/flow-table.mjs [packets] [flows]
// (FLOWAUDIT_DIST=/other/dist overrides where the compiled sources are.)
// About 50,000 concurrent flows (IPv4 and IPv6, TCP and UDP) with full handshakes, data and closes;
// one Packet object is refilled per packet, as decodeFrame does.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.env.FLOWAUDIT_DIST ?? path.join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist');
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { FlowTable } = await load('src/flows/table.js');
const { Packet } = await load('src/decode/types.js');
const { DiagnosticSink } = await load('src/common/diagnostics.js');

const totalPackets = Number(process.argv[2] ?? 5_000_000);
const flowCount = Number(process.argv[3] ?? 50_000);

// Deterministic PRNG (mulberry32).
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Per flow: endpoints, ports, protocol, version; per packet a small state machine.
const flows = [];
for (let i = 0; i < flowCount; i++) {
  const v6 = rand() < 0.3;
  const tcp = rand() < 0.8;
  const c = new Uint8Array(16);
  const s = new Uint8Array(16);
  if (v6) {
    c.set([0x20, 0x01, 0x0d, 0xb8]);
    s.set([0x20, 0x01, 0x0d, 0xb8]);
    for (let k = 8; k < 16; k++) {
      c[k] = (rand() * 256) | 0;
      s[k] = (rand() * 256) | 0;
    }
  } else {
    c.set([10, (rand() * 256) | 0, (rand() * 256) | 0, (rand() * 256) | 0]);
    s.set([172, 16, (rand() * 256) | 0, (rand() * 256) | 0]);
  }
  const v4 = (b) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  flows.push({
    v6, tcp, c, s, cv4: v6 ? 0 : v4(c), sv4: v6 ? 0 : v4(s),
    cport: 49152 + ((rand() * 16000) | 0), sport: [389, 443, 445, 88, 53, 135][(rand() * 6) | 0],
    step: 0, cseq: (rand() * 2 ** 32) >>> 0, sseq: (rand() * 2 ** 32) >>> 0,
  });
}

const pkt = new Packet();
let emitted = 0;
const table = new FlowTable({ onFlow: () => emitted++, diag: new DiagnosticSink() });
table.setFile('bench.pcap');

let ts = 1_700_000_000_000_000;
const DATA_STEPS = 40;
function fill(f, frame) {
  const step = f.step++;
  let fromClient = true;
  let flags = 0x10;
  let len = 0;
  if (f.tcp) {
    if (step === 0) flags = 0x02;
    else if (step === 1) { flags = 0x12; fromClient = false; }
    else if (step === 2) flags = 0x10;
    else if (step < DATA_STEPS) { fromClient = (step & 1) === 1; flags = 0x18; len = fromClient ? 200 : 1200; }
    else if (step === DATA_STEPS) flags = 0x11;
    else if (step === DATA_STEPS + 1) { flags = 0x11; fromClient = false; }
    else { flags = 0x10; f.step = 0; f.cseq = (f.cseq + 100000) >>> 0; }
  } else {
    fromClient = (step & 1) === 0;
    len = fromClient ? 60 : 180;
    if (step > 10) f.step = 0;
  }
  pkt.tsMicros = ts;
  pkt.frame = frame;
  pkt.fileOffset = frame * 700;
  pkt.ipVersion = f.v6 ? 6 : 4;
  pkt.src.set(fromClient ? f.c : f.s);
  pkt.dst.set(fromClient ? f.s : f.c);
  pkt.srcV4 = fromClient ? f.cv4 : f.sv4;
  pkt.dstV4 = fromClient ? f.sv4 : f.cv4;
  pkt.proto = f.tcp ? 6 : 17;
  pkt.srcPort = fromClient ? f.cport : f.sport;
  pkt.dstPort = fromClient ? f.sport : f.cport;
  pkt.tcpFlags = f.tcp ? flags : 0;
  pkt.tcpSeq = fromClient ? f.cseq : f.sseq;
  pkt.tcpAck = fromClient ? f.sseq : f.cseq;
  pkt.tcpWindow = 64000;
  pkt.payloadLen = len;
  pkt.ipLen = (f.v6 ? 40 : 20) + (f.tcp ? 20 : 8) + len;
  pkt.dns = null;
  pkt.sni = null;
  pkt.epmPorts = null;
  pkt.quoted = null;
  pkt.laterFragment = false;
  if (f.tcp) {
    let adv = len;
    if (flags & 0x03) adv++;
    if (fromClient) f.cseq = (f.cseq + adv) >>> 0;
    else f.sseq = (f.sseq + adv) >>> 0;
  }
}

// Warm up, then measure.
const order = new Uint32Array(totalPackets);
for (let i = 0; i < totalPackets; i++) order[i] = (rand() * flowCount) | 0;

// CPU time, not wall time: other processes on a shared machine skew the wall clock.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = cpuMs();
let fillOnly = 0;
for (let i = 0; i < Math.min(totalPackets, 1_000_000); i++) {
  fill(flows[order[i]], i + 1);
  fillOnly += pkt.payloadLen;
}
const tFill = cpuMs() - t0;
for (const f of flows) f.step = 0;

const t1 = cpuMs();
for (let i = 0; i < totalPackets; i++) {
  fill(flows[order[i]], i + 1);
  ts += 200; // 5,000 packets per second of packet time
  table.addPacket(pkt);
}
table.flush();
const t2 = cpuMs();
const secs = (t2 - t1) / 1000;
const fillSecs = (tFill / 1000) * (totalPackets / Math.min(totalPackets, 1_000_000));
console.log(
  JSON.stringify({
    packets: totalPackets,
    flowsEmitted: emitted,
    cpuSeconds: +secs.toFixed(3),
    packetsPerSecond: Math.round(totalPackets / secs),
    packetsPerSecondExcludingFill: Math.round(totalPackets / Math.max(secs - fillSecs, 1e-9)),
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
  }),
);
