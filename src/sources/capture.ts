import { InputError } from '../common/diagnostics.js';
import { closeInput, sniffFormat } from './input.js';
import { readPcap } from './pcap.js';
import { readPcapng } from './pcapng.js';
import type { ByteInput, FileSummary, FrameSink, InputFormat, ReadContext } from './types.js';

/**
 * Reads a packet capture of either kind, chosen from its first bytes (`input.head`), never from
 * its name. See {@link readPcap} and {@link readPcapng} for frames, numbering and damage handling.
 *
 * @throws InputError `input_empty` for an empty input, `input_unknown_format` for anything that is
 *   not a capture (one line saying what was expected and what was found), or the format reader's
 *   file-level error (truncated file header). The input is closed in every case.
 */
export async function readCapture(input: ByteInput, ctx: ReadContext, onFrame: FrameSink): Promise<FileSummary> {
  const format = sniffFormat(input.head);
  if (format === 'pcap') return readPcap(input, ctx, onFrame);
  if (format === 'pcapng') return readPcapng(input, ctx, onFrame);
  await closeInput(input);
  if (input.head.length === 0) throw new InputError('input_empty', input.name, 0, `${input.name} is empty: expected a pcap or pcapng capture`);
  throw new InputError('input_unknown_format', input.name, 0, notACaptureMessage(input.name, input.head, format));
}

const FORMAT_NAMES: Record<InputFormat, string> = {
  pcap: 'a pcap capture',
  pcapng: 'a pcapng capture',
  pfirewall: 'a Windows Firewall log',
  nsg: 'an Azure NSG flow log',
  vnet: 'an Azure VNet flow log',
  azfw: 'an Azure Firewall log',
  csv: 'a CSV file',
  pktmon: 'a pktmon trace as text',
  netfilter: 'a Linux firewall log (netfilter LOG lines)',
  filterlog: 'a pfSense or OPNsense firewall log (filterlog)',
  asa: 'a Cisco ASA or FTD log',
  keyvalue: 'a FortiGate traffic log (key=value)',
  panos: 'a Palo Alto Networks (PAN-OS) syslog',
  unknown: '',
};

/**
 * `x.txt is not a capture: expected pcap or pcapng magic, found 'GET '` (with a hint when the
 * bytes look like one of the flow-log formats). Bytes are shown as text only when printable.
 */
export function notACaptureMessage(name: string, head: Uint8Array, format: InputFormat = sniffFormat(head)): string {
  const looksLike = FORMAT_NAMES[format] ? ` (it looks like ${FORMAT_NAMES[format]})` : '';
  return `${name} is not a capture${looksLike}: expected pcap or pcapng magic, found ${describeMagic(head)}`;
}

function describeMagic(head: Uint8Array): string {
  const first = head.subarray(0, 4);
  let printable = true;
  for (const b of first) if (b < 0x20 || b > 0x7e) printable = false;
  if (printable) return `'${String.fromCharCode(...first)}'`;
  return Array.from(first, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
