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
    return 'this looks like a Windows ETW trace (netsh trace, pktmon): convert it to pcapng first (a pktmon trace with `pktmon etl2pcap in.etl --out out.pcapng`, a netsh trace with Microsoft\'s etl2pcapng)';
  }
  return null;
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
