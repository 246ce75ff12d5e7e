/**
 * Azure VNet flow logs, version 4 (the successor of NSG flow logs). The format, the outcome
 * mapping (state D = denied, the same count rules as NSG v2) and the evidence kept (encryption
 * included) are described in flowlog-azure.ts, which this shares with the NSG reader.
 */

import { readAzureFlowLog } from './flowlog-azure.js';
import type { AzureReadContext } from './flowlog-azure.js';
import type { ByteInput, FileSummary, FlowSink } from './types.js';

/**
 * Reads one VNet flow log file (`{"records":[...]}` or line-delimited records) and pushes one flow
 * per flow to `onFlow`. Tuple timestamps are milliseconds (seconds are accepted: values below
 * 1e11 are read as seconds). `FileSummary.records` counts tuples. Bad tuples are reported
 * (`vnet_bad_tuple`, `log_unsupported_protocol`) and skipped.
 */
export function readVnet(input: ByteInput, ctx: AzureReadContext, onFlow: FlowSink): Promise<FileSummary> {
  return readAzureFlowLog('vnet', input, ctx, onFlow);
}
