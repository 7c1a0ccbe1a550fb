import { readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ToolError } from '../diagnostics/tool-error.ts';

/**
 * Loads connection settings the way kubectl (client-go `clientcmd`) does. Sources, in order:
 * `--kubeconfig` (one file, must exist) → `KUBECONFIG` (path list, merged first-wins) → `~/.kube/config`
 * → in-cluster service account. Secrets stay inside the returned object; nothing here prints.
 */

export interface TlsOptions {
  /** PEM of the CA bundle to trust; undefined = the system roots. */
  readonly ca?: string | undefined;
  /** PEM client certificate and key (kubeconfig user, or an exec plugin at request time). */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  /** SNI and the name the server certificate is checked against (`tls-server-name`). */
  readonly serverName?: string | undefined;
}

export interface ExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  readonly installHint?: string | undefined;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode?: string | undefined;
  /** Environment the plugin inherits (the `env` given to loadKubeConfig). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** What `KUBERNETES_EXEC_INFO.spec.cluster` carries when provideClusterInfo is set. */
  readonly cluster: {
    readonly server: string;
    readonly 'tls-server-name'?: string | undefined;
    readonly 'insecure-skip-tls-verify'?: boolean | undefined;
    readonly 'certificate-authority-data'?: string | undefined;
    readonly 'proxy-url'?: string | undefined;
    readonly config?: unknown;
  };
}

export type KubeAuth =
  | { readonly type: 'none' }
  | { readonly type: 'token'; readonly token: string }
  /** Re-read on every request: projected service-account tokens rotate. */
  | { readonly type: 'tokenFile'; readonly path: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'exec'; readonly exec: ExecConfig };

export interface Impersonation {
  readonly user?: string | undefined;
  readonly uid?: string | undefined;
  readonly groups: readonly string[];
}

export interface KubeConfig {
  /** `https://host:port`, without a trailing slash. */
  readonly server: string;
  readonly namespace: string;
  readonly tls: TlsOptions;
  readonly auth: KubeAuth;
  readonly impersonate?: Impersonation | undefined;
  /** http(s) proxy from `proxy-url`. */
  readonly proxyUrl?: string | undefined;
  readonly contextName?: string | undefined;
  readonly source: 'kubeconfig' | 'in-cluster';
  /** The kubeconfig files that were read (empty for in-cluster). */
  readonly files: readonly string[];
}

export interface LoadKubeConfigOptions {
  /** `--kubeconfig`: this file only. */
  readonly kubeconfig?: string | undefined;
  /** `--context`. */
  readonly context?: string | undefined;
  /** `-n/--namespace`. */
  readonly namespace?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  /** Where the service-account files live (tests point this elsewhere). */
  readonly inClusterDir?: string | undefined;
}

export const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Obj = Record<string, unknown>;

interface Named {
  readonly name: string;
  readonly value: Obj;
  /** Directory of the file the entry came from: relative paths resolve against it. */
  readonly dir: string;
  readonly file: string;
}

interface Merged {
  readonly files: string[];
  readonly clusters: Map<string, Named>;
  readonly users: Map<string, Named>;
  readonly contexts: Map<string, Named>;
  currentContext: string | undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    throw new ToolError('FILE_READ', `cannot read ${what} ${path} (${code})`, { cause: err });
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Adds one file's entries; a name already present wins entirely (client-go "first file to set a key wins"). */
function mergeFile(m: Merged, file: string, text: string): void {
  m.files.push(file);
  if (text.trim() === '') return;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ToolError('KUBECONFIG', `kubeconfig ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  if (doc === null || doc === undefined) return;
  if (!isObj(doc)) throw new ToolError('KUBECONFIG', `kubeconfig ${file} is not a map of settings`);
  const dir = dirname(resolve(file));
  const sections = [
    ['clusters', 'cluster', m.clusters],
    ['users', 'user', m.users],
    ['contexts', 'context', m.contexts],
  ] as const;
  for (const [list, key, into] of sections) {
    const items = doc[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new ToolError('KUBECONFIG', `kubeconfig ${file}: \`${list}\` must be a list`);
    for (const item of items) {
      if (!isObj(item) || typeof item.name !== 'string') {
        throw new ToolError('KUBECONFIG', `kubeconfig ${file}: every entry of \`${list}\` needs a name`);
      }
      if (into.has(item.name)) continue;
      into.set(item.name, { name: item.name, value: isObj(item[key]) ? item[key] : {}, dir, file });
    }
  }
  if (m.currentContext === undefined) m.currentContext = str(doc['current-context']);
}

function resolvePath(p: string, dir: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

function decodeData(value: string, what: string, file: string): string {
  const pem = Buffer.from(value, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN')) {
    throw new ToolError('KUBECONFIG', `kubeconfig ${file}: ${what} is not base64-encoded PEM`);
  }
  return pem;
}

/** `<x>-data` (base64 PEM) wins over `<x>` (a path); both are kubeconfig spellings of the same thing. */
function pemFrom(entry: Named, key: string, what: string): string | undefined {
  const data = str(entry.value[`${key}-data`]);
  if (data !== undefined) return decodeData(data, `${key}-data`, entry.file);
  const path = str(entry.value[key]);
  return path === undefined ? undefined : readText(resolvePath(path, entry.dir), what);
}

export function loadKubeConfig(opts: LoadKubeConfigOptions): KubeConfig {
  const m: Merged = { files: [], clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined };
  if (opts.kubeconfig !== undefined) {
    // An explicit file must exist, as with kubectl --kubeconfig.
    mergeFile(m, opts.kubeconfig, readText(opts.kubeconfig, 'kubeconfig'));
  } else {
    const list = opts.env.KUBECONFIG;
    const paths =
      list !== undefined && list !== ''
        ? [...new Set(list.split(delimiter).filter((p) => p !== ''))]
        : [join(opts.homeDir, '.kube', 'config')];
    for (const p of paths) {
      if (!exists(p)) continue; // missing files in the list are skipped, as client-go does
      mergeFile(m, p, readText(p, 'kubeconfig'));
    }
  }

  const empty = m.clusters.size === 0 && m.users.size === 0 && m.contexts.size === 0 && m.currentContext === undefined;
  if (empty && opts.kubeconfig === undefined && opts.context === undefined) {
    const inCluster = loadInCluster(opts);
    if (inCluster) return inCluster;
    throw new ToolError('KUBECONFIG', 'no Kubernetes configuration found', {
      hint: `cfmesh reads --kubeconfig, else $KUBECONFIG, else ${join(opts.homeDir, '.kube', 'config')}, else the in-cluster service account`,
    });
  }

  const where = m.files.join(', ') || 'the kubeconfig';
  const contextName = opts.context ?? m.currentContext;
  const known = [...m.contexts.keys()].sort();
  if (contextName === undefined) {
    throw new ToolError('KUBECONFIG', `no current context is set in ${where}`, {
      hint: known.length > 0 ? `choose one with --context (${known.join(', ')})` : 'the kubeconfig defines no contexts',
    });
  }
  const context = m.contexts.get(contextName);
  if (!context) {
    throw new ToolError('KUBECONFIG', `context "${contextName}" does not exist in ${where}`, {
      hint: known.length > 0 ? `known contexts: ${known.join(', ')}` : 'the kubeconfig defines no contexts',
    });
  }
  const clusterName = str(context.value.cluster);
  const cluster = clusterName === undefined ? undefined : m.clusters.get(clusterName);
  if (!cluster) {
    throw new ToolError('KUBECONFIG', `context "${contextName}" refers to cluster "${clusterName ?? ''}", which does not exist in ${where}`);
  }
  const server = str(cluster.value.server);
  if (server === undefined) {
    throw new ToolError('KUBECONFIG', `cluster "${cluster.name}" in ${cluster.file} has no server`);
  }
  let serverUrl: URL;
  try {
    serverUrl = new URL(server);
  } catch {
    throw new ToolError('KUBECONFIG', `cluster "${cluster.name}" in ${cluster.file}: server "${server}" is not a URL`);
  }
  const userName = str(context.value.user);
  const user = userName === undefined ? undefined : m.users.get(userName);
  if (userName !== undefined && !user) {
    throw new ToolError('KUBECONFIG', `context "${contextName}" refers to user "${userName}", which does not exist in ${where}`);
  }

  const insecure = cluster.value['insecure-skip-tls-verify'] === true;
  const proxyUrl = str(cluster.value['proxy-url']);
  if (proxyUrl !== undefined && !/^https?:\/\//i.test(proxyUrl)) {
    throw new ToolError('KUBECONFIG', `cluster "${cluster.name}": proxy-url ${proxyUrl.split('@').pop() ?? ''} is not supported`, {
      hint: 'cfmesh supports http:// and https:// proxies; SOCKS proxies are not supported',
    });
  }
  const tls: TlsOptions = {
    ca: pemFrom(cluster, 'certificate-authority', 'certificate authority'),
    cert: user ? pemFrom(user, 'client-certificate', 'client certificate') : undefined,
    key: user ? pemFrom(user, 'client-key', 'client key') : undefined,
    insecureSkipTlsVerify: insecure,
    serverName: str(cluster.value['tls-server-name']),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new ToolError('KUBECONFIG', `user "${userName ?? ''}" has a client certificate without a key, or a key without a certificate`);
  }

  const auth = user ? userAuth(user, cluster, opts.env) : ({ type: 'none' } as const);
  const as = user ? str(user.value.as) : undefined;
  const asUid = user ? str(user.value['as-uid']) : undefined;
  const asGroups = user && Array.isArray(user.value['as-groups']) ? user.value['as-groups'].filter((g): g is string => typeof g === 'string') : [];
  return {
    server: serverUrl.toString().replace(/\/+$/, ''),
    namespace: opts.namespace ?? str(context.value.namespace) ?? 'default',
    tls,
    auth,
    impersonate: as !== undefined || asUid !== undefined || asGroups.length > 0 ? { user: as, uid: asUid, groups: asGroups } : undefined,
    proxyUrl,
    contextName,
    source: 'kubeconfig',
    files: m.files,
  };
}

function userAuth(user: Named, cluster: Named, env: Readonly<Record<string, string | undefined>>): KubeAuth {
  const u = user.value;
  const provider = u['auth-provider'];
  if (isObj(provider)) {
    const name = str(provider.name) ?? 'unknown';
    throw new ToolError('KUBECONFIG', `user "${user.name}" uses the auth-provider "${name}", which cfmesh does not support`, {
      hint: 'auth-provider plugins were removed from kubectl; use an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin) instead',
    });
  }
  const token = str(u.token);
  const tokenFile = str(u.tokenFile);
  const username = str(u.username);
  const password = typeof u.password === 'string' ? u.password : undefined;
  if ((token !== undefined || tokenFile !== undefined) && username !== undefined) {
    // client-go: "username/password or bearer token may be set, but not both"
    throw new ToolError('KUBECONFIG', `user "${user.name}" has both a bearer token and a username/password; set only one`);
  }
  const exec = u.exec;
  if (isObj(exec)) return { type: 'exec', exec: execConfig(user, cluster, exec, env) };
  // client-go: a token file's content takes precedence over the inline token.
  if (tokenFile !== undefined) return { type: 'tokenFile', path: resolvePath(tokenFile, user.dir) };
  if (token !== undefined) return { type: 'token', token };
  if (username !== undefined) return { type: 'basic', username, password: password ?? '' };
  return { type: 'none' };
}

function execConfig(user: Named, cluster: Named, exec: Obj, env: Readonly<Record<string, string | undefined>>): ExecConfig {
  const command = str(exec.command);
  if (command === undefined) throw new ToolError('KUBECONFIG', `user "${user.name}": exec needs a command`);
  const apiVersion = str(exec.apiVersion);
  if (apiVersion !== 'client.authentication.k8s.io/v1' && apiVersion !== 'client.authentication.k8s.io/v1beta1') {
    throw new ToolError('KUBECONFIG', `user "${user.name}": exec apiVersion "${apiVersion ?? ''}" is not supported`, {
      hint: 'use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1',
    });
  }
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const envList = Array.isArray(exec.env)
    ? exec.env.filter(isObj).map((e) => ({ name: String(e.name ?? ''), value: String(e.value ?? '') }))
    : [];
  // client-go resolves the command against the kubeconfig's directory only when it is a relative path
  // with a separator (`./bin/plugin`); a bare name is looked up on PATH.
  const cmd = !isAbsolute(command) && command.includes('/') ? resolvePath(command, user.dir) : command;
  const c = cluster.value;
  const caData =
    str(c['certificate-authority-data']) ??
    (str(c['certificate-authority']) !== undefined
      ? Buffer.from(readText(resolvePath(str(c['certificate-authority']) ?? '', cluster.dir), 'certificate authority')).toString('base64')
      : undefined);
  const extensions = Array.isArray(c.extensions) ? c.extensions.filter(isObj) : [];
  const execExt = extensions.find((e) => e.name === 'client.authentication.k8s.io/exec');
  return {
    command: cmd,
    args,
    env: envList,
    apiVersion,
    installHint: str(exec.installHint),
    provideClusterInfo: exec.provideClusterInfo === true,
    interactiveMode: str(exec.interactiveMode),
    baseEnv: env,
    cluster: {
      server: str(c.server) ?? '',
      'tls-server-name': str(c['tls-server-name']),
      'insecure-skip-tls-verify': c['insecure-skip-tls-verify'] === true ? true : undefined,
      'certificate-authority-data': caData,
      'proxy-url': str(c['proxy-url']),
      config: execExt?.extension,
    },
  };
}

function loadInCluster(opts: LoadKubeConfigOptions): KubeConfig | undefined {
  const host = opts.env.KUBERNETES_SERVICE_HOST;
  const port = opts.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const dir = opts.inClusterDir ?? IN_CLUSTER_DIR;
  const tokenPath = join(dir, 'token');
  if (!exists(tokenPath)) {
    throw new ToolError('KUBECONFIG', `running in a cluster, but the service-account token ${tokenPath} does not exist`, {
      hint: 'mount a service-account token (automountServiceAccountToken) or pass --kubeconfig',
    });
  }
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const caPath = join(dir, 'ca.crt');
  const nsFile = join(dir, 'namespace');
  const fileNs = exists(nsFile) ? readText(nsFile, 'namespace file').trim() : '';
  return {
    server: `https://${h}:${port}`,
    namespace: opts.namespace ?? (opts.env.POD_NAMESPACE || undefined) ?? (fileNs || undefined) ?? 'default',
    tls: { ca: exists(caPath) ? readText(caPath, 'in-cluster CA') : undefined, insecureSkipTlsVerify: false },
    auth: { type: 'tokenFile', path: tokenPath },
    source: 'in-cluster',
    files: [],
  };
}
