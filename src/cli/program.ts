import { Command, Option } from 'commander';
import type { Io } from '../ui/io.ts';
import { createContext, type GlobalFlags } from './context.ts';
import { collect } from './options.ts';
import { addDeliveryOptions } from './delivery.ts';

import { VERSION } from './version.ts';

export { VERSION };

const EXAMPLES = {
  convert: `
Examples:
  $ cfmesh convert -f manifest.yml                          # Istio YAML on stdout
  $ cfmesh convert -f manifest.yml | kubectl apply -f -
  $ cfmesh convert -f manifest.yml --vars-file prod.yml --var host=shop -o deploy/istio/
  $ cat manifest.yml | cfmesh convert -f - --output json
  $ cfmesh convert -f base.yml -f extra-routes.yml --default-domain example.com --namespace shop
  $ cfmesh convert -f manifest.yml --target kubernetes --context prod        # server-side apply, prune what is gone
  $ cfmesh convert -f manifest.yml --apply --dry-run=server
  $ cfmesh convert -f manifest.yml --target http --url https://cp.example.com/v1/bundles --token-env CP_TOKEN`,
  diff: `
Examples:
  $ cfmesh diff -f manifest.yml                       # current kubeconfig context; exit 1 when something differs
  $ cfmesh diff -f manifest.yml --context prod -n shop`,
  validate: `
Examples:
  $ cfmesh validate -f manifest.yml
  $ cfmesh validate -f manifest.yml --vars-file prod.yml --strict
  $ cfmesh validate -f manifest.yml --json | jq '.errors[] | "\\(.file):\\(.line):\\(.col) \\(.message)"'`,
};

/** Flags shared by every command that reads a manifest. */
export function addManifestOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <manifest>', 'cf app manifest; repeatable (later files add apps and routes); - reads stdin', collect)
    .option('--var <name=value>', 'value for a ((name)) variable; repeatable; wins over --vars-file', collect)
    .option('--vars-file <file>', 'YAML file of variable values; repeatable, later files win', collect)
    .option('--max-input-size <size>', 'refuse inputs larger than this (default 32MiB)');
}

/** Flags that shape the Istio output. */
export function addTranslateOptions(cmd: Command): Command {
  return cmd
    .option('--default-domain <domain>', "domain for apps' default routes (<app>.<domain>), as cf's default domain")
    .option('--internal-domain <domain>', 'domain whose routes stay inside the mesh; repeatable (default apps.internal)', collect)
    .option('--gateway <name>', 'name of the ingress Gateway (default cloudfoundry-ingress)')
    .option('-n, --namespace <ns>', 'namespace of the resources and of {namespace} in hosts (default "default")')
    .option('--service-host-template <template>', 'destination host per app (default {app}.{namespace}.svc.cluster.local)')
    .option('--istio-api <version>', 'networking.istio.io version: v1 (default), v1beta1 or v1alpha3')
    .option('--mtls <mode>', 'off (default: Istio auto mTLS), strict (STRICT PeerAuthentication) or istio-mutual (also ISTIO_MUTUAL clients)')
    .option('--gateway-namespace <ns>', "namespace of the ingress gateway's pods, for its AuthorizationPolicies (default istio-system)")
    .option('--tcp-port-range <from-to>', 'gateway ports for TCP routes written without one (default 1024-65535)');
}

/**
 * Builds the command tree. Each action imports its command module on first use, so `--help` and
 * `--version` load almost nothing.
 */
export function buildProgram(io: Io): Command {
  const program = new Command('cfmesh');
  program
    .description('Cloud Foundry app manifests in, Istio configuration out.')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(new Option('--no-color', 'no colour (also NO_COLOR=1)'))
    .option('-q, --quiet', 'print only errors and the product')
    .option('--strict', 'treat warnings as errors (exit 1)')
    .option('--verbose', 'debug lines on stderr (requests, timings; never secrets)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 invalid input or failed check, 2 wrong usage, 3 local file I/O,
            4 control plane failed or refused, 70 internal error (please report it).`,
    );

  const globals = (cmd: Command): GlobalFlags => cmd.optsWithGlobals() as GlobalFlags;

  addDeliveryOptions(addTranslateOptions(addManifestOptions(program.command('convert').description('translate cf manifests into Istio configuration'))))
    .option('--output <format>', 'yaml (default) or json (a List)')
    .option('-o, --output-dir <dir>', 'write one file per resource into DIR, removing files cfmesh wrote there before that are no longer produced')
    .option('--apply', 'same as --target kubernetes: server-side apply to the cluster')
    .option('--json', 'with a control-plane target: the delivery report as JSON on stdout')
    .addHelpText('after', EXAMPLES.convert)
    .action(async (_opts, cmd: Command) => {
      const { convertCommand } = await import('./commands/convert.ts');
      await convertCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals());
    });

  addTranslateOptions(addManifestOptions(program.command('validate').description('check cf manifests (schema, routes, weights) without printing configuration')))
    .option('--json', 'print the verdict and every diagnostic as JSON on stdout')
    .addHelpText('after', EXAMPLES.validate)
    .action(async (_opts, cmd: Command) => {
      const { validateCommand } = await import('./commands/validate.ts');
      await validateCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals());
    });

  addTranslateOptions(addManifestOptions(program.command('diff').description('show what applying the manifests would change in the cluster (exit 1 when something differs)')))
    .option('--kubeconfig <path>', 'kubeconfig file (else KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (else its current-context)')
    .option('--applyset <name>', 'ApplySet whose members no longer rendered show as removed (default cfmesh)')
    .option('--force-conflicts', 'diff as if conflicts with other field managers were forced')
    .addHelpText('after', EXAMPLES.diff)
    .action(async (_opts, cmd: Command) => {
      const { diffCommand } = await import('./commands/diff.ts');
      await diffCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals());
    });

  return program;
}
