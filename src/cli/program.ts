import { Argument, Command, CommanderError, Option } from 'commander';
import type { Io } from '../ui/io.ts';
import { createContext, type GlobalFlags } from './context.ts';
import { GATEWAY_API_FLAG_HELP } from '../gateway-api/options.ts';
import { ISTIO_FLAG_HELP } from '../istio/options.ts';
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
  $ cfmesh convert -f manifest.yml --target http --url https://cp.example.com/v1/bundles --token-env CP_TOKEN
  $ cfmesh convert -f manifest.yml -o deploy/istio/ --report github           # warnings and errors as annotations
  $ cfmesh convert -f manifest.yml -o deploy/istio/ --report junit --report-file cfmesh-junit.xml`,
  diff: `
Examples:
  $ cfmesh diff -f manifest.yml                       # current kubeconfig context; exit 1 when something differs
  $ cfmesh diff -f manifest.yml --context prod -n shop`,
  completion: `
Examples:
  $ source <(cfmesh completion bash)                 # bash: this shell
  $ cfmesh completion bash > ~/.local/share/bash-completion/completions/cfmesh
  $ source <(cfmesh completion zsh)                  # zsh, after compinit
  $ cfmesh completion fish | source                  # fish
  $ cfmesh completion fish > ~/.config/fish/completions/cfmesh.fish`,
  schema: `
Examples:
  $ cfmesh schema > manifest.schema.json           # then, first line of manifest.yml:
                                                   # # yaml-language-server: $schema=./manifest.schema.json`,
  validate: `
Examples:
  $ cfmesh validate -f manifest.yml
  $ cfmesh validate -f manifest.yml --vars-file prod.yml --strict
  $ cfmesh validate -f manifest.yml --json | jq '.errors[] | "\\(.file):\\(.line):\\(.col) \\(.message)"'
  $ cfmesh validate -f manifest.yml --output github          # GitHub Actions: annotations on the pull request
  $ cfmesh validate -f manifest.yml --output sarif > cfmesh.sarif
  $ cfmesh validate -f manifest.yml --output junit > cfmesh-junit.xml`,
};

/** Flags shared by every command that reads a manifest. */
export function addManifestOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <manifest>', 'cf app manifest; repeatable (later files add apps and routes); - reads stdin', collect)
    .option('--var <name=value>', 'value for a ((name)) variable; repeatable; wins over --vars-file', collect)
    .option('--vars-file <file>', 'YAML file of variable values; repeatable, later files win', collect)
    .option('--max-input-size <size>', 'refuse inputs larger than this, and YAML with more than one token per 8 bytes of it (default 32MiB)');
}

/** Flags that shape the Istio output. */
export function addTranslateOptions(cmd: Command): Command {
  return cmd
    .option('--default-domain <domain>', "domain for apps' default routes (<app>.<domain>), as cf's default domain")
    .option('--internal-domain <domain>', 'domain whose routes stay inside the mesh; repeatable (default apps.internal)', collect)
    .option('--gateway <name>', 'name of the ingress Gateway (default cloudfoundry-ingress)')
    .option('-n, --namespace <ns>', 'namespace of the resources and of {namespace} in hosts (default "default")')
    .option('--service-host-template <template>', 'destination host per app (default {app}.{namespace}.svc.cluster.local)')
    .option('--api <api>', GATEWAY_API_FLAG_HELP.api)
    .option('--gateway-class <name>', GATEWAY_API_FLAG_HELP.gatewayClass)
    .option('--istio-api <version>', ISTIO_FLAG_HELP.istioApi)
    .option('--mtls <mode>', ISTIO_FLAG_HELP.mtls)
    .option('--gateway-selector <key=value>', 'label of the ingress gateway pods the Gateway selects; repeatable (default istio=ingressgateway; the Helm istio/gateway chart uses istio=ingress)', collect)
    .option('--gateway-namespace <ns>', "namespace of the ingress gateway's pods, where tls credentialName secrets must be (default istio-system)")
    .option('--tcp-port-range <from-to>', 'gateway ports for TCP routes written without one (default 1024-65535)');
}

/**
 * Builds the command tree. Each action imports its command module on first use, so `--help` and
 * `--version` load almost nothing.
 */
export function buildProgram(io: Io, only?: string): Command {
  const program = new Command('cfmesh');
  // One command, when the command line names it: the others' options cost ~2-10 ms to define.
  const want = (name: string) => only === undefined || only === name;
  program
    .description('Cloud Foundry app manifests in, Istio configuration out.')
    // cf prints its version with -v (and `cf version`); -V, commander's default, still works
    .version(VERSION, '-v, --version', 'print the version')
    .addOption(new Option('-V').hideHelp())
    .addOption(new Option('--no-color', 'no colour (also NO_COLOR=1)'))
    .option('-q, --quiet', 'print only errors and the product')
    .option('--strict', 'treat warnings as errors (exit 1)')
    .option('--verbose', 'debug lines on stderr (requests, timings; never secrets)')
    .option('--state <dir>', 'state directory of the state commands (default $CFMESH_HOME, else ~/.cfmesh)')
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

  program.on('option:V', () => {
    io.stdout.write(`${VERSION}\n`);
    throw new CommanderError(0, 'commander.version', VERSION);
  });

  const globals = (cmd: Command): GlobalFlags => cmd.optsWithGlobals() as GlobalFlags;

  if (want('convert')) {
    addDeliveryOptions(addTranslateOptions(addManifestOptions(program.command('convert').argument('[manifest...]', 'manifest files, as -f (default ./manifest.yml, else ./manifest.yaml)').description('translate cf manifests into Istio configuration'))))
      .option('--output <format>', 'yaml (default) or json (a List)')
      .option('-o, --output-dir <dir>', 'write one file per resource into DIR, removing files cfmesh wrote there before that are no longer produced')
      .option('--apply', 'same as --target kubernetes: server-side apply to the cluster')
      .option('--json', 'with a control-plane target: the delivery report as JSON on stdout')
      .option('--report <format>', 'diagnostics (warnings, errors) as text (default), json, github (workflow commands), sarif (SARIF 2.1.0) or junit (JUnit XML), on stderr')
      .option('--report-file <file>', 'write the --report to FILE instead (stderr keeps the text diagnostics)')
      .addHelpText('after', EXAMPLES.convert)
      .action(async (manifests: string[], _opts, cmd: Command) => {
        const { convertCommand } = await import('./commands/convert.ts');
        const flags = cmd.optsWithGlobals();
        const ctx = createContext(io, globals(cmd));
        if (flags['report'] === undefined && flags['reportFile'] === undefined) return convertCommand(ctx, flags, manifests);
        const { runWithReport } = await import('./commands/report.ts');
        await runWithReport(ctx, flags, manifests, (reporting) => convertCommand(reporting, flags, manifests));
      });
  }

  if (want('validate')) {
    addTranslateOptions(addManifestOptions(program.command('validate').argument('[manifest...]', 'manifest files, as -f (default ./manifest.yml, else ./manifest.yaml)').description('check cf manifests (schema, routes, weights) without printing configuration')))
      .option('--output <format>', 'the verdict and every diagnostic on stdout: text (default: diagnostics on stderr), json, github (workflow commands), sarif (SARIF 2.1.0) or junit (JUnit XML)')
      .option('--json', 'short for --output json')
      .addHelpText('after', EXAMPLES.validate)
      .action(async (manifests: string[], _opts, cmd: Command) => {
        const { validateCommand } = await import('./commands/validate.ts');
        await validateCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals(), manifests);
      });
  }

  if (want('diff')) {
    addTranslateOptions(addManifestOptions(program.command('diff').description('show what applying the manifests would change in the cluster (exit 1 when something differs)')))
      .option('--kubeconfig <path>', 'kubeconfig file (else KUBECONFIG, else ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (else its current-context)')
      .option('--applyset <name>', 'ApplySet whose members no longer rendered show as removed (default cfmesh)')
      .option('--force-conflicts', 'diff as if conflicts with other field managers were forced')
      .option('--request-timeout <seconds>', 'timeout of each attempt of a request to the cluster (default 30)')
      .addHelpText('after', EXAMPLES.diff)
      .action(async (_opts, cmd: Command) => {
        const { diffCommand } = await import('./commands/diff.ts');
        await diffCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals());
      });
  }

  if (want('version')) {
    program
      .command('version')
      .description('print the version; --json adds Node.js, the default Istio API and the state format')
      .option('--json', 'print cfmesh, Node.js, default Istio API and state format versions as JSON')
      .action(async (_opts, cmd: Command) => {
        const { versionCommand } = await import('./commands/version.ts');
        versionCommand(createContext(io, globals(cmd)), cmd.optsWithGlobals());
      });
  }

  if (want('completion')) {
    program
      .command('completion')
      .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
      .description('print the shell completion script: commands, flags, flag values, files, and apps, domains and hosts of the state')
      .addHelpText('after', EXAMPLES.completion)
      .action(async (shell: string, _opts, cmd: Command) => {
        const { completionCommand } = await import('./commands/completion.ts');
        completionCommand(createContext(io, globals(cmd)), shell);
      });
  }

  if (want('schema')) {
    program
      .command('schema')
      .description('print the manifest JSON Schema for editors (manifests as written: ((vars)) accepted where values go)')
      .addHelpText('after', EXAMPLES.schema)
      .action(async (_opts, cmd: Command) => {
        const { schemaCommand } = await import('./commands/schema.ts');
        schemaCommand(createContext(io, globals(cmd)));
      });
  }

  registerStateCommands(program, io, globals, want);
  // A name no command has: the whole tree, for commander's unknown-command error and its suggestion.
  if (only !== undefined && program.commands.length === 0) return buildProgram(io);
  return program;
}

/**
 * The command a command line runs, for buildProgram(io, only): its first word that is not an
 * option (skipping the value of --state, the one root option that takes one); undefined for `help`,
 * `--`, or no such word, which need the whole tree.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return undefined;
    if (a === '--state') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a === 'help' ? undefined : a;
  }
  return undefined;
}

/** Output flags of every command that changes the state. `-o` is cf's route option on route commands, so there only --output-dir. */
function addStateOutputOptions(cmd: Command, shortO: boolean): Command {
  return addClusterOptions(cmd)
    .option('--output <format>', 'yaml (default) or json')
    .option(shortO ? '-o, --output-dir <dir>' : '--output-dir <dir>', 'keep DIR in sync with the whole state instead of printing the changed resources (default: the stored output dir, see target)')
    .addOption(new Option('--dry-run [mode]', 'show a diff of the resources that would change and write nothing; server: let the API server check it (kubernetes target)').choices(['client', 'server']).preset('client'))
    .option('--force-conflicts', 'take over fields another field manager owns (kubernetes target)')
    .option('--applyset <name>', 'ApplySet parent Secret tracking what cfmesh applied (default cfmesh)')
    .addOption(new Option('--json', 'print what changed (routes and weights before and after, resources created, changed, deleted) as one JSON object instead').conflicts('output'));
}

/** Where state commands read and deliver: the local state (default), or the cluster. */
function addClusterOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--target <target>', 'local (default, or as stored by `cfmesh target`) or kubernetes: the cluster is the state').choices(['local', 'kubernetes']))
    .option('--kubeconfig <path>', 'kubeconfig file (else KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (else its current-context)')
    .option('--request-timeout <seconds>', 'timeout of each attempt of a request to the cluster (default 30)');
}

function addRouteOptions(cmd: Command, port = true): Command {
  cmd.option('--hostname <host>', 'host name of the route (host.DOMAIN)').option('--path <path>', 'path of the route (a leading / is added)');
  if (port) cmd.option('--port <port>', 'port of a TCP route');
  return cmd;
}

const STATE_EXAMPLES = {
  unmapRoute: `
Examples:
  $ cfmesh unmap-route reviews-v3 example.com --hostname reviews
  $ cfmesh unmap-route reviews-v3 example.com --hostname reviews --path /api
  $ cfmesh unmap-route db-proxy tcp.example.com --port 1024`,
  createRoute: `
Examples:
  $ cfmesh create-route example.com --hostname shop
  $ cfmesh create-route example.com --hostname shop --path /cart -o loadbalancing=least-connection
  $ cfmesh create-route tcp.example.com --port 1024`,
  deleteRoute: `
Examples:
  $ cfmesh delete-route example.com --hostname shop           # asks on a terminal
  $ cfmesh delete-route example.com --hostname shop -f        # scripts
  $ cfmesh delete-route tcp.example.com --port 1024 -f`,
  deleteApp: `
Examples:
  $ cfmesh delete reviews-v3            # asks on a terminal
  $ cfmesh delete reviews-v3 -r -f      # also its routes no other app uses`,
  routes: `
Examples:
  $ cfmesh routes
  $ cfmesh routes --json | jq '.[] | {url, destinations}'
  $ cfmesh routes --target kubernetes --context prod     # the live VirtualServices`,
  apps: `
Examples:
  $ cfmesh apps
  $ cfmesh apps --json`,
  route: `
Examples:
  $ cfmesh route example.com --hostname reviews
  $ cfmesh route example.com --hostname reviews --path /api --json
  $ cfmesh route tcp.example.com --port 1024`,
  render: `
Examples:
  $ cfmesh render | kubectl apply -f -
  $ cfmesh render --output json
  $ cfmesh render -o deploy/istio/`,
  target: `
Examples:
  $ cfmesh target                                        # show the stored settings
  $ cfmesh target --default-domain example.com -n shop --gateway shop-ingress
  $ cfmesh target kubernetes --context prod              # commands go to the cluster from now on
  $ cfmesh target local --unset output-dir`,
  push: `
Examples:
  $ cfmesh push -f reviews.yml
  $ cfmesh push reviews-v2 -f reviews.yml --var version=2 | kubectl apply -f -
  $ cfmesh push my-app -f manifest.yml --random-route`,
  mapRoute: `
Examples:
  $ cfmesh map-route reviews-v1 example.com --hostname reviews
  $ cfmesh map-route reviews-v1 example.com --hostname reviews --path /api --app-port 9080
  $ cfmesh map-route db-proxy tcp.example.com --port 1024`,
  continueDeployment: `
Examples:
  $ cfmesh push web -f web.yml --strategy canary --instance-steps 10,25,50
  $ cfmesh continue-deployment web                  # 10% -> 25%
  $ cfmesh continue-deployment web -o deploy/istio/
  $ cfmesh continue-deployment web --auto --interval 2m --prometheus http://prometheus:9090 --target kubernetes`,
  cancelDeployment: `
Examples:
  $ cfmesh cancel-deployment web                    # back to the weights before the push`,
  app: `
Examples:
  $ cfmesh app web
  $ cfmesh app web --json`,
  updateRoute: `
Examples:
  $ cfmesh update-route reviews-v1 example.com --hostname reviews --weight 90
  $ cfmesh update-route example.com --hostname reviews --destination reviews-v1=90 --destination reviews-v2=10
  $ cfmesh update-route example.com --hostname reviews -o loadbalancing=least-connection
  $ cfmesh update-route example.com --hostname reviews -r loadbalancing
  $ cfmesh update-route example.com --hostname reviews --timeout 2s --retries 3 --retry-on 5xx,connect-failure`,
};

function registerStateCommands(program: Command, io: Io, globals: (cmd: Command) => GlobalFlags, want: (name: string) => boolean): void {
  const ctx = (cmd: Command) => createContext(io, globals(cmd));

  if (want('push')) {
    addStateOutputOptions(addTranslateOptions(addManifestOptions(program.command('push').argument('[app_name]', 'app to push (multi-app manifest) or new name (single-app manifest)'))), true)
      .description('apply a manifest to the state (apps created or updated, routes added); --target kubernetes delivers it to the cluster')
      .option('--no-route', 'map no route to the app (removes its mappings)')
      .option('--random-route', 'give the app a random route if it has none')
      .option('-i, --instances <n>', "number of web instances (one app); unweighted routes split by instances")
      .option('-m, --memory <size>', 'memory limit, e.g. 256M or 1G (one app; recorded, no effect on routing)')
      .option('--no-start', 'accepted for cf compatibility: cfmesh starts no instances')
      .option('--strategy <strategy>', 'cf deployment strategy: canary (a deployment in weight steps) or rolling (accepted; no effect here)')
      .option('--instance-steps <list>', 'with --strategy canary: the canary\'s percent of the app\'s traffic per step, ascending, e.g. 10,25,50')
      .addHelpText('after', STATE_EXAMPLES.push)
      .action(async (app: string | undefined, _opts, cmd: Command) => {
        const { pushCommand } = await import('./commands/push.ts');
        await pushCommand(ctx(cmd), app, cmd.optsWithGlobals());
      });
  }

  if (want('map-route')) {
    addStateOutputOptions(addTranslateOptions(addRouteOptions(program.command('map-route').argument('<app>').argument('<domain>'))), false)
      .description('map a route to an app (creating the route if needed)')
      .option('--app-port <port>', 'port of the app to send to')
      .option('--app-protocol <protocol>', 'http1 or http2')
      .option('--timeout <duration>', 'request timeout of the route, e.g. 2s')
      .option('--retries <n>', 'retry attempts of the route')
      .option('--retry-on <conditions>', "what to retry on (5xx, connect-failure, ...); repeatable or comma-separated", collect)
      .option('--per-try-timeout <duration>', 'timeout of each try')
      .option('-o, --option <key=value>', 'route option for a new route (loadbalancing=...); repeatable', collect)
      .addHelpText('after', STATE_EXAMPLES.mapRoute)
      .action(async (app: string, domain: string, _opts, cmd: Command) => {
        const { mapRouteCommand } = await import('./commands/map-route.ts');
        await mapRouteCommand(ctx(cmd), app, domain, cmd.optsWithGlobals());
      });
  }

  if (want('unmap-route')) {
    addStateOutputOptions(addTranslateOptions(addRouteOptions(program.command('unmap-route').argument('<app>').argument('<domain>'))), true)
      .description('remove a route from an app (the route stays)')
      .addHelpText('after', STATE_EXAMPLES.unmapRoute)
      .action(async (app: string, domain: string, _opts, cmd: Command) => {
        const { unmapRouteCommand } = await import('./commands/unmap-route.ts');
        await unmapRouteCommand(ctx(cmd), app, domain, cmd.optsWithGlobals());
      });
  }

  if (want('create-route')) {
    addStateOutputOptions(addTranslateOptions(addRouteOptions(program.command('create-route').argument('<domain>'))), false)
      .description('create a route with no app mapped')
      .option('-o, --option <key=value>', 'route option (loadbalancing=...); repeatable', collect)
      .addHelpText('after', STATE_EXAMPLES.createRoute)
      .action(async (domain: string, _opts, cmd: Command) => {
        const { createRouteCommand } = await import('./commands/create-route.ts');
        await createRouteCommand(ctx(cmd), domain, cmd.optsWithGlobals());
      });
  }

  if (want('delete-route')) {
    addStateOutputOptions(addTranslateOptions(addRouteOptions(program.command('delete-route').argument('<domain>'))), true)
      .description('delete a route and its mappings')
      .option('-f, --force', 'do not ask (required when stdin is not a terminal)')
      .addHelpText('after', STATE_EXAMPLES.deleteRoute)
      .action(async (domain: string, _opts, cmd: Command) => {
        const { deleteRouteCommand } = await import('./commands/delete-route.ts');
        await deleteRouteCommand(ctx(cmd), domain, cmd.optsWithGlobals());
      });
  }

  if (want('delete')) {
    addStateOutputOptions(addTranslateOptions(program.command('delete').argument('<app>')), true)
      .description('delete an app and its mappings')
      .option('-r, --delete-routes', "also delete the app's routes that no other app uses")
      .option('-f, --force', 'do not ask (required when stdin is not a terminal)')
      .addHelpText('after', STATE_EXAMPLES.deleteApp)
      .action(async (app: string, _opts, cmd: Command) => {
        const { deleteCommand } = await import('./commands/delete.ts');
        await deleteCommand(ctx(cmd), app, cmd.optsWithGlobals());
      });
  }

  if (want('update-route')) {
    addStateOutputOptions(addTranslateOptions(addRouteOptions(program.command('update-route').argument('<app_or_domain>').argument('[domain]'))), false)
      .description("shift a route's traffic (APP DOMAIN --weight W, or DOMAIN --destination APP=W...) or change its options (DOMAIN -o/-r)")
      .option('--weight <percent>', "APP's share of the route, 0-100; the others are rescaled in proportion")
      .option('--destination <app=weight>', 'every destination of the route with its weight, summing to 100; repeatable', collect)
      .option('--timeout <duration>', 'request timeout of the route, e.g. 2s or 500ms (none removes it)')
      .option('--retries <n>', 'retry attempts of the route (0 turns retries off)')
      .option('--retry-on <conditions>', "what to retry on: Istio's list (5xx, connect-failure, ...); repeatable or comma-separated", collect)
      .option('--per-try-timeout <duration>', 'timeout of each try')
      .option('-o, --option <key=value>', 'set a route option (loadbalancing=round-robin|least-connection|hash, hash_header, hash_balance); repeatable', collect)
      .option('-r, --remove-option <key>', 'remove a route option; repeatable', collect)
      .addHelpText('after', STATE_EXAMPLES.updateRoute)
      .action(async (first: string, second: string | undefined, _opts, cmd: Command) => {
        const { updateRouteCommand } = await import('./commands/update-route.ts');
        await updateRouteCommand(ctx(cmd), first, second, cmd.optsWithGlobals());
      });
  }

  if (want('continue-deployment')) {
    addStateOutputOptions(addTranslateOptions(program.command('continue-deployment').argument('<app>')), true)
      .description("move the app's canary deployment to its next step; after the last, the new revision gets all the traffic")
      .option('--auto', "run the remaining steps, each promoted on the canary's metrics in Prometheus (needs --target kubernetes or -o DIR)")
      .option('--prometheus <url>', 'with --auto: the Prometheus server that scrapes the mesh')
      .option('--interval <duration>', 'with --auto: how long each step runs before its metrics are checked (default 2m)')
      .option('--min-success-rate <percent>', 'with --auto: the least share of non-5xx responses (default 99)')
      .option('--max-latency <duration>', 'with --auto: the highest p99 latency, e.g. 500ms (default: not checked)')
      .option('--min-requests <n>', 'with --auto: the fewest requests a check counts on (default 100)')
      .addHelpText('after', STATE_EXAMPLES.continueDeployment)
      .action(async (app: string, _opts, cmd: Command) => {
        const { continueDeploymentCommand } = await import('./commands/deployment.ts');
        await continueDeploymentCommand(ctx(cmd), app, cmd.optsWithGlobals());
      });
  }

  if (want('cancel-deployment')) {
    addStateOutputOptions(addTranslateOptions(program.command('cancel-deployment').argument('<app>')), true)
      .description("roll the app's canary deployment back: the weights from before it, the canary's destinations removed")
      .addHelpText('after', STATE_EXAMPLES.cancelDeployment)
      .action(async (app: string, _opts, cmd: Command) => {
        const { cancelDeploymentCommand } = await import('./commands/deployment.ts');
        await cancelDeploymentCommand(ctx(cmd), app, cmd.optsWithGlobals());
      });
  }

  if (want('app')) {
    addClusterOptions(program.command('app').argument('<app>'))
      .option('-n, --namespace <ns>', "namespace of the cluster's copy of the deployment (kubernetes target; else the context's)")
      .description("show one app: its routes and their weights, and its canary deployment (canary-steps: N/M) while one is in progress")
      .option('--json', 'print the app as JSON')
      .addHelpText('after', STATE_EXAMPLES.app)
      .action(async (app: string, _opts, cmd: Command) => {
        const { appCommand } = await import('./commands/deployment.ts');
        await appCommand(ctx(cmd), app, cmd.optsWithGlobals());
      });
  }

  if (want('routes')) {
    addClusterOptions(program.command('routes'))
      .option('--api <api>', 'with --target kubernetes: read istio (default) VirtualServices or gateway-api HTTPRoutes and TCPRoutes')
      .option('-n, --namespace <ns>', 'namespace to read (kubernetes target; else the context\'s)')
      .description('list the routes (of the local state, or live from the cluster with --target kubernetes)')
      .option('--json', 'print the routes as JSON')
      .addHelpText('after', STATE_EXAMPLES.routes)
      .action(async (_opts, cmd: Command) => {
        const { routesCommand } = await import('./commands/routes.ts');
        await routesCommand(ctx(cmd), cmd.optsWithGlobals());
      });
  }

  if (want('apps')) {
    addClusterOptions(program.command('apps'))
      .option('--api <api>', 'with --target kubernetes: read istio (default) VirtualServices or gateway-api HTTPRoutes and TCPRoutes')
      .option('-n, --namespace <ns>', 'namespace to read (kubernetes target; else the context\'s)')
      .description('list the apps (of the local state, or live from the cluster with --target kubernetes)')
      .option('--json', 'print the apps as JSON')
      .addHelpText('after', STATE_EXAMPLES.apps)
      .action(async (_opts, cmd: Command) => {
        const { appsCommand } = await import('./commands/apps.ts');
        await appsCommand(ctx(cmd), cmd.optsWithGlobals());
      });
  }

  if (want('route')) {
    addRouteOptions(program.command('route').argument('<domain>'))
      .description('show one route in detail')
      .option('--json', 'print the route as JSON')
      .addHelpText('after', STATE_EXAMPLES.route)
      .action(async (domain: string, _opts, cmd: Command) => {
        const { routeCommand } = await import('./commands/route.ts');
        await routeCommand(ctx(cmd), domain, cmd.optsWithGlobals());
      });
  }

  if (want('render')) {
    addTranslateOptions(program.command('render'))
      .description('print the whole Istio configuration of the local state')
      .option('--output <format>', 'yaml (default) or json (a List)')
      .option('-o, --output-dir <dir>', 'write one file per resource into DIR, removing files cfmesh wrote there before that are no longer produced')
      .addHelpText('after', STATE_EXAMPLES.render)
      .action(async (_opts, cmd: Command) => {
        const { renderCommand } = await import('./commands/render.ts');
        await renderCommand(ctx(cmd), cmd.optsWithGlobals());
      });
  }

  if (want('target')) {
    addTranslateOptions(program.command('target').argument('[target]', 'local, kubernetes or http: where commands deliver by default'))
      .description('show the stored settings, or set them (flags), as cf target does')
      .option('--kubeconfig <path>', 'kubeconfig file to keep for the kubernetes target')
      .option('--context <name>', 'kubeconfig context to keep for the kubernetes target')
      .option('--output-dir <dir>', 'directory that changing commands keep in sync with the whole state')
      .option('--unset <setting>', 'forget a stored setting (default-domain, internal-domain, gateway, namespace, istio-api, api, gateway-class, service-host-template, output-dir); repeatable', collect)
      .option('--json', 'print the settings as JSON; when flags change them, the change report (settings before and after)')
      .addHelpText('after', STATE_EXAMPLES.target)
      .action(async (where: string | undefined, _opts, cmd: Command) => {
        const { targetCommand } = await import('./commands/target.ts');
        await targetCommand(ctx(cmd), where, cmd.optsWithGlobals());
      });
  }
}
