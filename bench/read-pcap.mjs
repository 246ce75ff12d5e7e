// Micro-benchmark of the capture readers alone (no decoding): MB/s and packets/s of readCapture
// with a counting callback, beside a plain 1 MiB-chunk read of the same file.
//
//   npm run build && node bench/read-pcap.mjs [sizeMiB=512] [compiledSrcDir=dist/src]
//
// Writes bench-read.pcap and bench-read.pcapng (Ethernet-sized frames of mixed lengths) to the OS
// temp dir once and reuses them. Numbers are best of 3 (the first run warms the JIT and cache).
import { existsSync, openSync, closeSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const sizeMiB = Number(process.argv[2] ?? 512);
const srcDir = resolve(process.argv[3] ?? 'dist/src');
const load = (p) => import(pathToFileURL(join(srcDir, p)).href);
const { openInput } = await load('sources/input.js');
const { readCapture } = await load('sources/capture.js');
const { DiagnosticSink } = await load('common/diagnostics.js');

const FRAME_SIZES = [60, 66, 1514, 590, 1514, 74, 1514, 200];

function generate(path, pcapng) {
  const target = sizeMiB * 1024 * 1024;
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(8 * 1024 * 1024);
  let p = 0;
  let total = 0;
  const flush = () => {
    writeSync(fd, buf, 0, p);
    total += p;
    p = 0;
  };
  if (pcapng) {
    // SHB (28 bytes, little-endian, no options) and one Ethernet IDB (20 bytes, microseconds).
    buf.writeUInt32LE(0x0a0d0d0a, 0);
    buf.writeUInt32LE(28, 4);
    buf.writeUInt32LE(0x1a2b3c4d, 8);
    buf.writeUInt16LE(1, 12);
    buf.writeInt32LE(-1, 16);
    buf.writeInt32LE(-1, 20);
    buf.writeUInt32LE(28, 24);
    buf.writeUInt32LE(1, 28);
    buf.writeUInt32LE(20, 32);
    buf.writeUInt16LE(1, 36);
    buf.writeUInt32LE(20, 44);
    p = 48;
  } else {
    // pcap file header: magic, 2.4, snaplen 65535, LINKTYPE_ETHERNET.
    buf.writeUInt32LE(0xa1b2c3d4, 0);
    buf.writeUInt16LE(2, 4);
    buf.writeUInt16LE(4, 6);
    buf.writeUInt32LE(65535, 16);
    buf.writeUInt32LE(1, 20);
    p = 24;
  }
  let ts = 1_700_000_000_000_000;
  for (let i = 0; total + p < target; i++) {
    const n = FRAME_SIZES[i % FRAME_SIZES.length];
    const rec = pcapng ? 32 + ((n + 3) & ~3) : 16 + n;
    if (p + rec > buf.length) flush();
    ts += 13;
    if (pcapng) {
      buf.writeUInt32LE(6, p);
      buf.writeUInt32LE(rec, p + 4);
      buf.writeUInt32LE(0, p + 8);
      buf.writeUInt32LE(Math.floor(ts / 2 ** 32), p + 12);
      buf.writeUInt32LE(ts % 2 ** 32, p + 16);
      buf.writeUInt32LE(n, p + 20);
      buf.writeUInt32LE(n, p + 24);
      buf.fill(i & 0xff, p + 28, p + rec - 4);
      buf.writeUInt32LE(rec, p + rec - 4);
    } else {
      buf.writeUInt32LE(Math.floor(ts / 1e6), p);
      buf.writeUInt32LE(ts % 1e6, p + 4);
      buf.writeUInt32LE(n, p + 8);
      buf.writeUInt32LE(n, p + 12);
      buf.fill(i & 0xff, p + 16, p + 16 + n);
    }
    p += rec;
  }
  flush();
  closeSync(fd);
}

async function plainRead(path) {
  const fh = await open(path);
  const b = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  const t = performance.now();
  for (let r; (r = await fh.read(b, 0, b.length, null)).bytesRead > 0; ) n += r.bytesRead;
  await fh.close();
  return n / ((performance.now() - t) / 1000);
}

for (const [name, pcapng] of [['bench-read.pcap', false], ['bench-read.pcapng', true]]) {
  const path = join(tmpdir(), name);
  if (!existsSync(path)) generate(path, pcapng);
  let best = { mbps: 0, pps: 0, plain: 0, frames: 0 };
  for (let rep = 0; rep < 3; rep++) {
    const plain = await plainRead(path);
    let frames = 0;
    const t = performance.now();
    const summary = await readCapture(await openInput(path), { diag: new DiagnosticSink() }, () => frames++);
    const s = (performance.now() - t) / 1000;
    if (summary.bytes / s > best.mbps * 1e6) best = { mbps: summary.bytes / s / 1e6, pps: frames / s, plain: plain / 1e6, frames };
  }
  console.log(
    `${name}: reader ${best.mbps.toFixed(0)} MB/s, ${(best.pps / 1e6).toFixed(2)} M packets/s (${best.frames} frames); plain read ${best.plain.toFixed(0)} MB/s`,
  );
}
