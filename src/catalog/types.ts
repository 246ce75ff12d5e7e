/**
 * The required-ports catalog: data, loaded from catalogs/*.yaml (see catalogs/README.md for the
 * file format). A user's own catalog (`--catalog FILE`) uses the same format.
 */

/** Roles an endpoint can hold; a host may hold several. */
export type Role =
  | 'connect' // the Entra/Azure AD Connect sync server
  | 'dc' // domain controller
  | 'azure-ad' // Entra ID / Azure AD cloud endpoints
  | 'crl' // CRL / OCSP endpoints
  | 'adfs' // AD FS federation server
  | 'wap' // Web Application Proxy
  | 'users' // user devices / the internet side of WAP
  | 'health-agent' // Connect Health agent software (on a connect, adfs or dc host)
  | 'health-service' // Connect Health cloud side
  | 'pta-agent'; // pass-through authentication agent

export const ALL_ROLES: readonly Role[] = [
  'connect',
  'dc',
  'azure-ad',
  'crl',
  'adfs',
  'wap',
  'users',
  'health-agent',
  'health-service',
  'pta-agent',
];

/**
 * Conditions under which a rule applies (`--feature a,b` turns them on). A rule without a
 * condition always applies when both roles are present.
 */
export type Condition =
  | 'ldaps'
  | 'seamless-sso'
  | 'password-writeback'
  | 'federation'
  | 'initial-config'
  | 'gmsa-adfs'
  | 'health-agent'
  | 'pass-through-auth'
  | 'password-hash-sync';

export const ALL_CONDITIONS: readonly Condition[] = [
  'ldaps',
  'seamless-sso',
  'password-writeback',
  'federation',
  'initial-config',
  'gmsa-adfs',
  'health-agent',
  'pass-through-auth',
  'password-hash-sync',
];

export type RuleTransport = 'tcp' | 'udp';

export interface PortRange {
  from: number;
  to: number;
}

export interface CatalogRule {
  /** Stable id, e.g. `connect-dc-ldap`. */
  id: string;
  /** Source table, e.g. `Table 1 - Azure AD Connect and On-premises AD`. */
  table: string;
  from: Role;
  to: Role;
  /** Protocol name as the doc prints it: `LDAP`, `MS-RPC`, `HTTPS`. */
  protocol: string;
  /** `['tcp','udp']` for the doc's "TCP/UDP": met by either; a failure on either is still a failure. */
  transports: RuleTransport[];
  ports: PortRange;
  description: string;
  /** When set, the rule applies only with this feature on (or when its traffic is seen). */
  condition?: Condition;
  /**
   * When the doc names several features for one row (SMB 445: seamless SSO or password
   * writeback): the rule applies when ANY of them is on. `condition` then holds the first.
   * Use `ruleConditions()` / `ruleApplies()` from catalog/match.ts to read both.
   */
  conditions?: Condition[];
  /** False for optional rules (PTA 8080, Health 5671 in the current table). */
  required: boolean;
  /** For ranges: this rule is the dynamic RPC range, met by endpoint-mapper handed-out ports. */
  dynamicRpc?: boolean;
  /**
   * The traffic happens only now and then (CRL and OCSP downloads: when a cached list expires), so
   * its absence from a window proves nothing: never "missing", unless lookups of the destination
   * role's names failed. Traffic that is seen is judged like any other, and counts as required.
   */
  occasional?: boolean;
  /**
   * Met when the source reaches ANY host of the destination role (DNS: a Connect server asks its
   * configured resolvers, not every DC). Without it, every destination host is judged on its own.
   */
  anyDestination?: boolean;
  /** Free text shown beside the rule (e.g. the 2016 "65353" typo). */
  note?: string;
}

/** Hostname patterns that name a role (for DNS answers, SNI and inventories): `*.microsoftonline.com`. */
export interface EndpointPatterns {
  role: Role;
  patterns: string[];
  /** Names seen in data that should be ignored (telemetry): they name no role. */
  ignore?: boolean;
  /**
   * Names only one kind of client contacts (adminwebservice.microsoftonline.com: the sync server;
   * *.aadconnecthealth.azure.com: a Health agent): a host that contacts them is inferred to hold
   * this role (medium confidence).
   */
  clientRole?: Role;
}

export interface Catalog {
  /** Short name: `hybrid-identity`, `hybrid-identity-2016`, or the file name for a user catalog. */
  name: string;
  title: string;
  /** Where it comes from (document, date, URL). */
  source: string;
  /** File it was loaded from. */
  file: string;
  rules: CatalogRule[];
  endpoints: EndpointPatterns[];
}
