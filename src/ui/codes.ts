import type { ErrorCode, WarningCode } from '../diagnostics/tool-error.ts';

export interface CodeHelp {
  /** One line: what the code means. */
  readonly summary: string;
  /** What to do about it. */
  readonly help: string;
}

/**
 * What each error and warning code means, for reports that describe their rules (SARIF `rules`).
 * Every code has an entry: a new code without one does not compile.
 */
export const CODE_HELP: Readonly<Record<ErrorCode | WarningCode, CodeHelp>> = {
  YAML_SYNTAX: { summary: 'The file is not valid YAML, or nests deeper than cfmesh reads.', help: 'Fix the YAML at the position shown (indentation, an unclosed quote or bracket, a tab used for indentation).' },
  DUPLICATE_KEY: { summary: 'A key is written twice in one map; the last value wins, as cf reads it.', help: 'Remove one of the two keys. Under --strict this warning fails the command.' },
  ALIAS_LIMIT: { summary: 'YAML aliases expand to more nodes than cfmesh reads (an alias bomb).', help: 'Use fewer nested aliases, or write the values out.' },
  MERGE_KEY: { summary: 'A merge key (<<) is given something other than a map or a list of maps.', help: 'Point << at an anchored map (<<: *defaults) or a list of them.' },
  INPUT_TOO_LARGE: { summary: 'The input is larger, or holds more YAML tokens, than --max-input-size allows.', help: 'Raise --max-input-size, or split the manifest into several -f files.' },
  INPUT_ENCODING: { summary: 'The file is not UTF-8 text.', help: 'Save the manifest as UTF-8 (a BOM is fine); a manifest holds no NUL bytes.' },
  UNDEFINED_VARS: { summary: 'A ((var)) has no value.', help: 'Give it with --var NAME=VALUE or in a --vars-file, as cf push does.' },
  VAR_TYPE: { summary: 'A ((var)) inside a larger string has a value that is not a string or an integer.', help: 'Make the var the whole value, or give it a string or integer value.' },
  VARS_FILE: { summary: 'A --vars-file is not a YAML map of variable names to values.', help: 'Write the vars file as a map: `name: value`, one per line.' },
  SCHEMA: { summary: "The manifest's structure is wrong: a value of the wrong type, a missing required key, a key where none may be.", help: 'Correct the value at the position shown; docs/manifest.md lists every key and its type.' },
  ATTRIBUTE_INVALID: { summary: 'A value Cloud Controller refuses for an app or process attribute (units, ranges, health checks, env, metadata).', help: 'Correct the value at the position shown as the message says; cf push would refuse it too.' },
  OPTION_INVALID: { summary: 'A cf route option (loadbalancing, hash_header, hash_balance) or a command-line option value is refused.', help: 'Use one of the values the message lists.' },
  TRAFFIC_INVALID: { summary: "A value of cfmesh's traffic extension that Istio or cfmesh refuses (retry-on, percent, header names, endpoints).", help: 'Correct the value at the position shown; docs/traffic.md lists what each control takes.' },
  APP_NAME: { summary: 'An application has no name, or an invalid one.', help: 'Give every entry of applications: a `name`.' },
  DUPLICATE_APP: { summary: 'An application is defined twice (in one file, or in two -f files).', help: 'Define each app once; later -f files may only add apps and routes.' },
  ROUTE_INVALID: { summary: 'A route is not [scheme://]host.domain[:port][/path] as Cloud Controller reads it.', help: 'Correct the route string at the position shown.' },
  UNKNOWN_APP: { summary: 'A destination or rule names an app that is not in the manifest.', help: 'Use the name of an app under applications:, or add the app.' },
  DUPLICATE_DESTINATION: { summary: 'A route lists the same destination twice.', help: 'List each app (and port) once per route.' },
  WEIGHTS: { summary: 'Weighted destinations break a weight rule: integers 0-100, all or none weighted, summing to 100, at least one above 0.', help: 'Fix the weights of the route shown so that they sum to exactly 100.' },
  ROUTE_CONFLICT: { summary: 'Two routes claim the same thing (a host, a TCP port, TLS settings) in ways that cannot both hold.', help: 'Keep one of the two, or make them agree.' },
  TARGET_UNSUPPORTED: { summary: 'The manifest asks for a feature the chosen output API (--api gateway-api) cannot express; cfmesh refuses it rather than drop it.', help: 'Remove the feature shown, or convert with --api istio, which supports it.' },
  REGEX: { summary: 'A regular expression is not valid RE2 (the syntax Envoy accepts), or is too long.', help: 'Rewrite it without backreferences or lookarounds, within 1024 characters.' },
  DURATION: { summary: 'A duration is not a positive whole number of milliseconds or more (e.g. 2s, 500ms).', help: 'Write it as Istio reads it: 1ms or more, in whole milliseconds.' },
  NOT_FOUND: { summary: 'An app or route named on the command line does not exist.', help: 'Check the name (cfmesh apps, cfmesh routes list them).' },
  STRICT: { summary: 'There were warnings and --strict is set.', help: 'Fix the warnings, or drop --strict.' },
  DIFFERENCES: { summary: '`diff` found differences between the cluster and what would be applied (kubectl diff exits 1 the same way).', help: 'Apply the configuration, or change the manifest, until diff exits 0.' },
  USAGE: { summary: 'The command line is wrong: an unknown flag, a bad flag value, a missing argument.', help: 'Run the command with --help.' },
  FILE_READ: { summary: 'A file cannot be read.', help: 'Check that the path exists and is readable.' },
  FILE_WRITE: { summary: 'A file cannot be written.', help: 'Check that the directory exists and is writable, and that the disk has room.' },
  STATE_CORRUPT: { summary: 'The local state cannot be read (damaged, or written by a newer cfmesh).', help: 'Restore state.json.bak, or use the cfmesh that wrote it.' },
  STATE_LOCKED: { summary: 'Another cfmesh holds the lock of the local state.', help: 'Wait for it to finish, and try again.' },
  API_UNREACHABLE: { summary: 'The control plane could not be reached.', help: 'Check the URL or kubeconfig server, the network, and --request-timeout.' },
  API_REJECTED: { summary: 'The control plane refused the request.', help: 'Read the answer quoted in the message.' },
  API_CONFLICT: { summary: 'Another field manager owns a field cfmesh would change.', help: 'Resolve it with the other owner, or take the field over with --force-conflicts.' },
  API_TLS: { summary: 'The control plane certificate is not trusted.', help: 'Set certificate-authority in the kubeconfig (or NODE_EXTRA_CA_CERTS).' },
  API_AUTH: { summary: 'The control plane refused the credentials.', help: 'Check the kubeconfig user, token or token file.' },
  CRD_MISSING: { summary: 'The cluster has no Istio resource definitions.', help: 'Install Istio (its CRDs) in the cluster first.' },
  KUBECONFIG: { summary: 'The kubeconfig cannot be used (missing, invalid, or no such context).', help: 'Check --kubeconfig, KUBECONFIG and --context.' },
  INTERNAL: { summary: 'A bug in cfmesh.', help: 'Please report it with the command and, if you can, the input.' },
  INTERRUPTED: { summary: 'The command was interrupted (Ctrl-C).', help: 'Run it again; every file is old or new.' },
  LEGACY_KEY: { summary: 'A cf v6 attribute that cf v7+ ignores (host, hosts, domain, domains, no-hostname, inherit, top-level app attributes).', help: 'Use routes: with `- route: HOST.DOMAIN`, and YAML anchors or several -f files instead of inherit.' },
  IGNORED_KEY: { summary: 'A key or value that cf accepts but that has no effect here.', help: 'Remove it, or set what it depends on (the message says what).' },
  NO_ROUTE: { summary: 'An app gets no route.', help: 'Give it routes:, or pass --default-domain so it gets <app>.<domain>, as cf does.' },
  LOSSY: { summary: 'A value is read differently from how it is written, or a setting is dropped where it cannot apply.', help: 'Write the value as the message suggests.' },
  UNKNOWN_KEY: { summary: 'A key cfmesh does not know (kept, no effect), close to one it knows.', help: 'Check the spelling; the message suggests the key meant.' },
  ZERO_INSTANCES: { summary: 'A route none of whose apps runs (instances: 0) captures no traffic.', help: 'Scale an app of the route above 0, or expect the route to serve nothing.' },
  NOTICE: { summary: 'Something cfmesh chose for you (a TCP port, a route left out) that you may want to pin.', help: 'Read the message; it says how to make the choice explicit.' },
};
