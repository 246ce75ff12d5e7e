/**
 * Names formats that flowaudit does not read but that users commonly hold, so the "not a format
 * flowaudit reads" error can say what the file is and how to convert it. Recognised from the bytes;
 * a Windows trace (ETL) has no fixed magic, so its usual extension is taken as a hint too (only
 * ever to word an error, never to choose a reader).
 */

/** A sentence naming the file's format and the way to a capture flowaudit reads, or null. */
export function unsupportedFormatHint(head: Uint8Array, path: string): string | null {
  const magic = head.length >= 4 ? String.fromCharCode(head[0], head[1], head[2], head[3]) : '';
  if (magic === 'GMBU' || magic === 'RTSS') {
    return 'this is a Microsoft Network Monitor capture: save it as pcapng (Wireshark\'s `editcap -F pcapng in.cap out.pcapng`)';
  }
  if (head.length >= 8 && String.fromCharCode(...head.subarray(0, 7)) === 'ElfFile') {
    return 'this is a Windows event log (.evtx); for firewall evidence give flowaudit the Windows Firewall log (pfirewall.log)';
  }
  if (looksLikeEtl(head) || /\.etl$/i.test(path)) {
    return 'this looks like a Windows ETW trace (netsh trace, pktmon): convert it first: a pktmon trace to text with `pktmon etl2txt in.etl --out out.txt` (it keeps the packets Windows dropped, and why) or to pcapng with `pktmon etl2pcap in.etl --out out.pcapng`; a netsh trace to pcapng with Microsoft\'s etl2pcapng';
  }
  if (magic === 'MSCF') {
    return "this is a cabinet (.cab): a netsh trace's .cab holds its reports, not the packets; convert the .etl next to it to pcapng (Microsoft's etl2pcapng)";
  }
  const archive = ARCHIVES.find((a) => startsWith(head, a.magic));
  if (archive) return `this is ${archive.name}: unpack it (${archive.unpack}) and give flowaudit the files inside (gzip files are read as they are)`;
  return null;
}

/** Archives and compressors attachments to a ticket come in (gzip is read directly, see input.ts). */
const ARCHIVES: readonly { magic: readonly number[]; name: string; unpack: string }[] = [
  { magic: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive', unpack: 'Expand-Archive, unzip' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: 'a 7-Zip archive', unpack: '7z x' },
  { magic: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], name: 'a RAR archive', unpack: 'unrar x' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz-compressed', unpack: 'xz -d' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd-compressed', unpack: 'zstd -d' },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'LZ4-compressed', unpack: 'lz4 -d' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2-compressed', unpack: 'bunzip2' },
];

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

/**
 * An ETL file is a sequence of WMI buffers: each starts with its size (a multiple of 4 KiB in
 * practice), and the offset of its last valid byte, at +0x30, lies inside it past the 0x48-byte
 * buffer header.
 */
function looksLikeEtl(head: Uint8Array): boolean {
  if (head.length < 0x48) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const size = view.getUint32(0, true);
  const used = view.getUint32(0x30, true);
  return size >= 4096 && size <= 64 * 1024 * 1024 && size % 4096 === 0 && used > 0x48 && used <= size;
}
