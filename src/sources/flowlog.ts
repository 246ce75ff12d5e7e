/**
 * One entry point for every flow-log format: the CLI sniffs the format (input.ts `sniffFormat`,
 * or `--input-format`) and calls {@link readFlowLog}. The JSON readers also tell NSG from VNet per
 * record, so a mis-sniffed Azure file still reads right.
 */

import { InputError } from '../common/diagnostics.js';
import { readAzureFirewall } from './flowlog-azfw.js';
import { readCsv } from './flowlog-csv.js';
import type { CsvOptions } from './flowlog-csv.js';
import { readAsa } from './flowlog-asa.js';
import { readFilterlog } from './flowlog-filterlog.js';
import { readKeyValue } from './flowlog-keyvalue.js';
import { readPanos } from './flowlog-panos.js';
import { readNetfilter } from './flowlog-netfilter.js';
import { readNsg } from './flowlog-nsg.js';
import { readPfirewall } from './flowlog-pfirewall.js';
import type { PfirewallOptions } from './flowlog-pfirewall.js';
import { readVnet } from './flowlog-vnet.js';
import type { ByteInput, FileSummary, FlowSink, InputFormat, ReadContext } from './types.js';

export { parseTimezone } from './flowlog-time.js';
export type { LocalTimeZone } from './flowlog-time.js';
export { parseColumnsFlag } from './flowlog-csv.js';

/** Options of every flow-log reader (each reads the ones it needs). */
export type FlowLogOptions = PfirewallOptions & CsvOptions;

/**
 * Reads one flow-log file of the given format and pushes its flows to `onFlow`.
 * @throws InputError (`input_unknown_format`) for a capture or unknown format (a caller bug or
 *   a wrong `--input-format`), and whatever the reader throws for a file it cannot read.
 */
export function readFlowLog(
  format: InputFormat,
  input: ByteInput,
  ctx: ReadContext & FlowLogOptions,
  onFlow: FlowSink,
): Promise<FileSummary> {
  switch (format) {
    case 'pfirewall':
      return readPfirewall(input, ctx, onFlow);
    case 'nsg':
      return readNsg(input, ctx, onFlow);
    case 'vnet':
      return readVnet(input, ctx, onFlow);
    case 'azfw':
      return readAzureFirewall(input, ctx, onFlow);
    case 'csv':
      return readCsv(input, ctx, onFlow);
    case 'netfilter':
      return readNetfilter(input, ctx, onFlow);
    case 'filterlog':
      return readFilterlog(input, ctx, onFlow);
    case 'asa':
      return readAsa(input, ctx, onFlow);
    case 'keyvalue':
      return readKeyValue(input, ctx, onFlow);
    case 'panos':
      return readPanos(input, ctx, onFlow);
    default:
      return Promise.reject(
        new InputError('input_unknown_format', input.name, 0, `${input.name}: ${format} is not a flow-log format (expected pfirewall, netfilter, filterlog, asa, keyvalue, panos, nsg, vnet, azfw or csv)`),
      );
  }
}
