// Generates a Windows Firewall log (pfirewall.log, with the pid column) of SIZE_MB, for `npm run bench`.
// Usage: node bench/gen-pfirewall.mjs OUT SIZE_MB
import { openSync, writeSync, closeSync } from 'node:fs';

const [out, sizeArg] = process.argv.slice(2);
const target = Number(sizeArg ?? 1024) * 1024 * 1024;
let seed = 11;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const fd = openSync(out, 'w');
writeSync(
  fd,
  '#Version: 1.5\r\n#Software: Microsoft Windows Firewall\r\n#Time Format: Local\r\n' +
    '#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn tcpack tcpwin icmptype icmpcode info path pid\r\n\r\n',
);
let written = 0;
let t = Date.UTC(2024, 4, 1, 8, 0, 0);
const pad = (n) => String(n).padStart(2, '0');
while (written < target) {
  const lines = [];
  for (let i = 0; i < 20000; i++) {
    t += Math.floor(rand() * 50);
    const d = new Date(t);
    const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const send = rand() < 0.7;
    const action = rand() < 0.08 ? 'DROP' : 'ALLOW';
    const dport = [389, 88, 443, 445, 135, 53, 3268, 5985][Math.floor(rand() * 8)];
    const proto = dport === 53 ? 'UDP' : 'TCP';
    const local = '10.0.0.20';
    const remote = `10.0.1.${10 + Math.floor(rand() * 4)}`;
    const sport = 49152 + Math.floor(rand() * 16000);
    const [src, dst, sp, dp] = send ? [local, remote, sport, dport] : [remote, local, sport, dport];
    lines.push(`${date} ${time} ${action} ${proto} ${src} ${dst} ${sp} ${dp} 0 - - - - - - - ${send ? 'SEND' : 'RECEIVE'} ${1000 + Math.floor(rand() * 8000)}`);
  }
  const chunk = lines.join('\r\n') + '\r\n';
  writeSync(fd, chunk);
  written += Buffer.byteLength(chunk);
}
closeSync(fd);
console.log(`wrote ${out}: ${(written / 1048576).toFixed(0)} MiB`);
