import { transferList, type FlowSummary, type FlowSummaryTransfer } from '../../src/flows/summary.js';

/** A summary's transfer as another thread receives it: structured-cloned, its buffers transferred. */
export function sent(s: FlowSummary): FlowSummaryTransfer {
  const t = s.toTransfer({ transfer: true });
  return structuredClone(t, { transfer: transferList(t) });
}
