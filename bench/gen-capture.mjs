// Generates a large classic pcap for `npm run bench`: Ethernet, IPv4 and IPv6, TCP and UDP, mixed
// frame sizes, a fixed number of flows interleaved as on a busy server. Deterministic (seeded PRNG).
// Usage: node bench/gen-capture.mjs OUT.pcap SIZE_MB [FLOWS] [CLIENTS] [SERVERS]
// Clients are drawn from CLIENTS addresses (default 65,536: nearly every flow a host pair of its
// own, the most host pairs a capture of FLOWS flows can have) and servers from SERVERS (default 256);
// fewer make the repeat pairs of a capture taken on a few servers. The defaults give the bench's
// capture, byte for byte as before these two arguments existed.
import { openSync, writeSync, closeSync } from 'node:fs';

const [out, sizeMbArg, flowsArg, clientsArg, serversArg] = process.argv.slice(2);
const targetBytes = Number(sizeMbArg ?? 1024) * 1024 * 1024;
const totalFlows = Number(flowsArg ?? 50_000);
const clients = Number(clientsArg ?? 65_536);
const servers = Number(serversArg ?? 256);

let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const CHUNK = 8 * 1024 * 1024;
const buf = Buffer.alloc(CHUNK + 70000);
let pos = 0;
let written = 0;
const fd = openSync(out, 'w');
const flushIfFull = () => {
  if (pos >= CHUNK) {
    writeSync(fd, buf, 0, pos);
    written += pos;
    pos = 0;
  }
};

// pcap file header: magic, v2.4, thiszone, sigfigs, snaplen 262144, LINKTYPE_ETHERNET
buf.writeUInt32LE(0xa1b2c3d4, 0);
buf.writeUInt16LE(2, 4);
buf.writeUInt16LE(4, 6);
buf.writeUInt32LE(0, 8);
buf.writeUInt32LE(0, 12);
buf.writeUInt32LE(262144, 16);
buf.writeUInt32LE(1, 20);
pos = 24;

let tsMicros = 1_714_557_600_000_000; // 2024-05-01T10:00:00Z
let ipId = 0;

function packet(f, fromOrig, flags, payloadLen) {
  const v6 = f.v6;
  const ipHeader = v6 ? 40 : 20;
  const l4 = f.tcp ? 20 : 8;
  const ipLen = ipHeader + l4 + payloadLen;
  const frameLen = 14 + ipLen;
  tsMicros += 1 + Math.floor(rand() * 40);
  const rec = pos;
  buf.writeUInt32LE(Math.floor(tsMicros / 1e6), rec);
  buf.writeUInt32LE(tsMicros % 1e6, rec + 4);
  buf.writeUInt32LE(frameLen, rec + 8);
  buf.writeUInt32LE(frameLen, rec + 12);
  let p = rec + 16;
  // Ethernet
  buf.fill(fromOrig ? 0x02 : 0x04, p, p + 6);
  buf.fill(fromOrig ? 0x04 : 0x02, p + 6, p + 12);
  buf.writeUInt16BE(v6 ? 0x86dd : 0x0800, p + 12);
  p += 14;
  const src = fromOrig ? f.a : f.b;
  const dst = fromOrig ? f.b : f.a;
  if (v6) {
    buf.writeUInt32BE(0x60000000, p);
    buf.writeUInt16BE(l4 + payloadLen, p + 4);
    buf[p + 6] = f.tcp ? 6 : 17;
    buf[p + 7] = 64;
    // Each host keeps its address whichever way a packet goes: clients in 2001:db8:0:0::/64,
    // servers in 2001:db8:0:1::/64 (the subnet is the IPv4 address's second byte).
    buf.writeUInt32BE(0x20010db8, p + 8);
    buf.writeUInt32BE((src >>> 16) & 0xff, p + 12);
    buf.writeUInt32BE(0, p + 16);
    buf.writeUInt32BE(src >>> 0, p + 20);
    buf.writeUInt32BE(0x20010db8, p + 24);
    buf.writeUInt32BE((dst >>> 16) & 0xff, p + 28);
    buf.writeUInt32BE(0, p + 32);
    buf.writeUInt32BE(dst >>> 0, p + 36);
    p += 40;
  } else {
    buf[p] = 0x45;
    buf[p + 1] = 0;
    buf.writeUInt16BE(ipLen, p + 2);
    // Identification numbered per packet, as Windows does (a copy of a packet keeps its number:
    // decode/duplicates.ts tells them apart by it), DF.
    ipId = (ipId + 1) & 0xffff;
    buf.writeUInt16BE(ipId, p + 4);
    buf.writeUInt16BE(0x4000, p + 6);
    buf[p + 8] = 64;
    buf[p + 9] = f.tcp ? 6 : 17;
    buf.writeUInt16BE(0, p + 10);
    buf.writeUInt32BE(src >>> 0, p + 12);
    buf.writeUInt32BE(dst >>> 0, p + 16);
    p += 20;
  }
  const sport = fromOrig ? f.sport : f.dport;
  const dport = fromOrig ? f.dport : f.sport;
  buf.writeUInt16BE(sport, p);
  buf.writeUInt16BE(dport, p + 2);
  if (f.tcp) {
    const seq = fromOrig ? f.seqO : f.seqR;
    buf.writeUInt32BE(seq >>> 0, p + 4);
    buf.writeUInt32BE((fromOrig ? f.seqR : f.seqO) >>> 0, p + 8);
    buf[p + 12] = 0x50;
    buf[p + 13] = flags;
    buf.writeUInt16BE(64240, p + 14);
    buf.writeUInt32BE(0, p + 16);
    const adv = payloadLen + (flags & 0x03 ? 1 : 0);
    if (fromOrig) f.seqO = (f.seqO + adv) >>> 0;
    else f.seqR = (f.seqR + adv) >>> 0;
    p += 20;
  } else {
    buf.writeUInt16BE(8 + payloadLen, p + 4);
    buf.writeUInt16BE(0, p + 6);
    p += 8;
  }
  buf.fill(0x61, p, p + payloadLen);
  pos = p + payloadLen;
  flushIfFull();
}

const SIZES = [0, 64, 200, 512, 1200, 1448, 1448, 1448];
let started = 0;
const active = [];
function newFlow() {
  started++;
  const tcp = rand() < 0.8;
  const f = {
    tcp,
    v6: rand() < 0.25,
    a: 0x0a000000 + Math.floor(rand() * clients),
    b: 0x0a010000 + Math.floor(rand() * servers),
    sport: 49152 + Math.floor(rand() * 16000),
    dport: tcp ? [389, 445, 443, 88, 135, 3268, 5985][Math.floor(rand() * 7)] : [53, 88, 389, 123][Math.floor(rand() * 4)],
    seqO: Math.floor(rand() * 2 ** 32),
    seqR: Math.floor(rand() * 2 ** 32),
    step: 0,
    dataPackets: 0,
  };
  return f;
}
const budgetPerFlow = targetBytes / totalFlows;
while (written + pos < targetBytes) {
  while (active.length < 2000 && started < totalFlows) {
    const f = newFlow();
    f.dataPackets = Math.max(2, Math.round((budgetPerFlow / 760) * (0.5 + rand())));
    active.push(f);
  }
  if (active.length === 0) break;
  const i = Math.floor(rand() * active.length);
  const f = active[i];
  let done = false;
  if (f.tcp) {
    if (f.step === 0) packet(f, true, 0x02, 0);
    else if (f.step === 1) packet(f, false, 0x12, 0);
    else if (f.step === 2) packet(f, true, 0x10, 0);
    else if (f.step < 3 + f.dataPackets) packet(f, rand() < 0.4, 0x18, SIZES[Math.floor(rand() * SIZES.length)]);
    else if (f.step === 3 + f.dataPackets) packet(f, true, 0x11, 0);
    else if (f.step === 4 + f.dataPackets) packet(f, false, 0x11, 0);
    else {
      packet(f, true, 0x10, 0);
      done = true;
    }
  } else {
    packet(f, f.step % 2 === 0, 0, 40 + Math.floor(rand() * 400));
    done = f.step >= f.dataPackets;
  }
  f.step++;
  if (done) {
    active[i] = active[active.length - 1];
    active.pop();
  }
}
writeSync(fd, buf, 0, pos);
written += pos;
closeSync(fd);
console.log(`wrote ${out}: ${(written / 1048576).toFixed(0)} MiB, ${started} flows`);
