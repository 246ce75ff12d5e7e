/**
 * Azure NSG flow logs, versions 1 and 2 (PT1H.json blobs, line-delimited records). The format,
 * the outcome mapping and the evidence kept are described in flowlog-azure.ts, which this shares
 * with the VNet reader.
 */

import { readAzureFlowLog } from './flowlog-azure.js';
import type { AzureReadContext } from './flowlog-azure.js';
import type { ByteInput, FileSummary, FlowSink } from './types.js';

/**
 * Reads one NSG flow log file (v1 or v2; `{"records":[...]}`, pretty-printed or not, or one bare
 * record per line) and pushes one flow per flow to `onFlow`, synchronously, as tuples complete.
 * Streams: memory is bounded by the largest record and the open-flow table, not the file.
 * `FileSummary.records` counts tuples. Bad records and tuples are reported to `ctx.diag`
 * (`json_malformed`, `nsg_bad_record`, `nsg_bad_tuple`) and skipped.
 */
export function readNsg(input: ByteInput, ctx: AzureReadContext, onFlow: FlowSink): Promise<FileSummary> {
  return readAzureFlowLog('nsg', input, ctx, onFlow);
}
