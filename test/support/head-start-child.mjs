// Runs in a child process (a fresh decoding thread per run): starts the capture decoding thread
// with a head start on argv[2] (as bin.ts does), then reads each of argv[3..] through it and prints
// what readOneFile handed out, as JSON. Used by test/unit/cli/capture-pipeline.test.ts.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = (p) => import(pathToFileURL(join(process.cwd(), 'dist', 'src', p)).href);
const { CaptureDecodeThread } = await dist('cli/capture-pipeline.js');
const { readOneFile } = await dist('cli/read.js');
const { DiagnosticSink } = await dist('common/diagnostics.js');

const [headStart, ...files] = process.argv.slice(2);
CaptureDecodeThread.shared(headStart);
// Let the thread get going on its head start before anything asks it for a file.
await new Promise((resolve) => setTimeout(resolve, Number(process.env.HEAD_START_WAIT_MS ?? 300)));
const out = [];
for (const path of files) {
  const diag = new DiagnosticSink();
  const reports = [];
  diag.onReport = (d) => reports.push(`${d.code} ${d.origin.offset} ${d.detail}`);
  const flows = [];
  const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  const result = await readOneFile({ path, size }, { decodeThread: 'always' }, diag, (f) => flows.push(f));
  out.push({ result, flows, quality: diag.toDataQuality(), reports });
}
process.stdout.write(JSON.stringify(out));
