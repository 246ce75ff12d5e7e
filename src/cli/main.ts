import { Command, CommanderError, Help, Option } from 'commander';
import { InputError, InstallationError, UsageError } from '../common/diagnostics.js';
import { packageVersion } from '../common/package-root.js';
import { collect as repeatable, ROLE_LIST } from './options.js';
import { runAnalyze, runCatalog, runFlows, runRoles, type ExitCode } from './commands.js';

/**
 * The `flowaudit` command. A thin layer over commands.ts: it parses flags, maps known errors to
 * exit codes (0 clean, 1 findings, 2 usage or unreadable input) and never shows a stack trace for
 * bad input. Set FLOWAUDIT_DEBUG=1 to see stacks of internal errors.
 */
function addReadOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--input-format <format>', 'format of every input, instead of sniffing it from the bytes').choices([
        'auto',
        'pcap',
        'pcapng',
        'pfirewall',
        'nsg',
        'vnet',
        'azfw',
        'csv',
        'pktmon',
        'netfilter',
        'filterlog',
        'asa',
        'keyvalue',
        'panos',
      ]),
    )
    .option('--include <glob>', 'only files matching this glob when walking folders (repeatable), e.g. "PT1H.json"', repeatable, [])
    .option('--exclude <glob>', 'skip files matching this glob when walking folders (repeatable)', repeatable, [])
    .option(
      '--since <time>',
      'leave out flows that end before this time (ISO 8601, UTC unless a zone is given, or Unix seconds); hourly flow-log files (y=/m=/d=/h= folders) outside the window are not read',
    )
    .option('--until <time>', 'leave out flows that start after this time')
    .option('--tz <zone>', 'time zone of Windows Firewall logs, pktmon text traces and syslog stamps without one (Linux, pfSense, OPNsense and Cisco firewall logs), which hold local times: IANA name (Europe/Berlin) or offset (+02:00); default UTC')
    .option('--local-address <ip>', "the Windows Firewall log's own host address (inferred when not given)")
    .option('--columns <map>', 'CSV column names: field=Column,... for time, src, dst, sport, dport, proto, action, direction')
    .option('--tcp-timeout <duration>', 'TCP inactivity timeout that ends a flow (Zeek default 5m)')
    .option('--udp-timeout <duration>', 'UDP and ICMP inactivity timeout (Zeek default 1m)')
    .option('--max-flows <n>', 'most flows kept open at once per file; older idle flows are closed early and counted')
    .option('--workers <n>', 'reading threads, this one included (default: all cores when there are many files, and a second thread decoding a capture over 64 MiB; 0 or 1 = this thread only)')
    .option('-q, --quiet', 'no progress bar and no warnings on stderr (failed files are still named)');
}

function buildProgram(setExit: (code: ExitCode) => void): Command {
  const program = new Command();
  program
    .name('flowaudit')
    .description(
      "Audit hybrid identity traffic (Entra/Azure AD Connect, domain controllers, AD FS, WAP, Connect Health) offline, from packet captures and firewall flow logs, against Microsoft's required-ports catalog.",
    )
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Inputs: pcap and pcapng captures, Windows Firewall pfirewall.log, Azure NSG flow logs (v1, v2),
VNet flow logs (v4), Azure Firewall logs (JSON, as archived to storage) and CSV exports; files,
folders (walked recursively), .gz, or - for stdin.
The format is sniffed from the bytes, never from the file name.

Examples:
  flowaudit analyze capture.pcapng --inventory inventory.yaml
  flowaudit analyze ./flowlogs --include PT1H.json --since 2024-05-01 --format md,html
  flowaudit flows capture.pcap --format zeek --output conn.log
  flowaudit roles capture.pcapng --write inventory.yaml
  flowaudit catalog hybrid-identity-2016 --format md

Exit codes: 0 clean, 1 required traffic blocked or missing (see --fail-on), 2 usage error or
nothing readable.`,
    );
  program.exitOverride();
  program.configureOutput({ outputError: (s, write) => write(s) });
  // Repeatable options start from an empty list, and "(default: [])" tells a reader nothing.
  // Set before the subcommands are added: they copy the help settings of their parent.
  program.configureHelp({
    optionDescription(option: Option): string {
      if (Array.isArray(option.defaultValue) && option.defaultValue.length === 0) return option.description;
      return Help.prototype.optionDescription.call(this, option);
    },
  });

  addReadOptions(
    program
      .command('analyze')
      .description('audit the inputs against the catalog and write the reports (the main job)')
      .argument('<input...>', 'capture or log files, folders, or -')
      .option('-o, --out <dir>', 'folder for the reports (default: reports/<input name>-<UTC time>/)')
      .option('-f, --format <list>', 'report formats: md,json,csv,html (default: all)')
      .option('-c, --catalog <name|file>', 'hybrid-identity (current table, default), hybrid-identity-2016, or your own YAML file')
      .option('-i, --inventory <file>', 'YAML inventory mapping roles to IPs, CIDRs and hostnames (see docs/inventory.md)')
      .option('-r, --role <address=role>', `one-off role, e.g. 10.0.0.5=dc (repeatable); roles: ${ROLE_LIST}`, repeatable, [])
      .option(
        '--captured-on <ip>',
        'the host a capture was taken on, when the data cannot tell: a capture of one conversation (either end), or a dual-stack host; only its traffic counts as observable',
      )
      .option(
        '--feature <list>',
        'turn on conditional rules: ldaps, seamless-sso, password-writeback, federation, initial-config, gmsa-adfs, health-agent, pass-through-auth, password-hash-sync, or all (repeatable)',
        repeatable,
        [],
      )
      .option('--fail-on <list>', 'statuses of required rules that make the exit code 1: blocked,missing,partial,unexpected or none (default: blocked,missing)', repeatable, []),
  ).action(async (inputs: string[], opts) => setExit(await runAnalyze(inputs, opts)));

  addReadOptions(
    program
      .command('flows')
      .description('print the flows found in the inputs, with Zeek conn.log states and outcomes')
      .argument('<input...>', 'capture or log files, folders, or -')
      .option('-f, --format <format>', 'table (default on a terminal), zeek (conn.log TSV, default when redirected) or ndjson')
      .option('-o, --output <file>', 'write to a file instead of standard output')
      .option('--host <address>', 'only flows with this address, CIDR block or host name at either end (repeatable)', repeatable, [])
      .option('--port <n>', 'only TCP and UDP flows with this port at either end (repeatable)', repeatable, []),
  ).action(async (inputs: string[], opts) => setExit(await runFlows(inputs, opts)));

  addReadOptions(
    program
      .command('roles')
      .description('show the role of every endpoint and why (inventory, DNS, TLS SNI or inferred from behaviour)')
      .argument('<input...>', 'capture or log files, folders, or -')
      .option('-i, --inventory <file>', 'YAML inventory (see docs/inventory.md)')
      .option('-r, --role <address=role>', 'one-off role, e.g. 10.0.0.5=dc (repeatable)', repeatable, [])
      .option('-c, --catalog <name|file>', 'catalog whose endpoint names identify cloud roles')
      .option('-w, --write <file>', 'save the roles found as a starting inventory YAML to correct')
      .option('-f, --format <format>', 'table (default), md or json'),
  ).action(async (inputs: string[], opts) => setExit(await runRoles(inputs, opts)));

  program
    .command('catalog')
    .description('print a required-ports catalog')
    .argument('[name]', 'hybrid-identity (default), hybrid-identity-2016, or a catalog file')
    .option('-c, --catalog <file>', 'your own catalog file (same format as catalogs/*.yaml)')
    .option('-f, --format <format>', 'table (default), md (for a ticket) or json')
    .action(async (name: string | undefined, opts) => setExit(await runCatalog(name, opts)));

  return program;
}

/** Runs the CLI with these arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every parsing error is a usage error (2), not commander's 1.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof InputError || e instanceof InstallationError) {
      process.stderr.write(`flowaudit: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`flowaudit: internal error: ${(e as Error)?.message ?? e}\n`);
    if (process.env.FLOWAUDIT_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    else process.stderr.write('flowaudit: this is a bug; rerun with FLOWAUDIT_DEBUG=1 and report the stack trace\n');
    return 2;
  }
}
