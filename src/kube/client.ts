import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Agent, buildConnector, ProxyAgent, request, type Dispatcher } from '../http/undici.ts';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { JsonPatchOp, Resource } from '../resource/resource.ts';
import { AttemptTimeout, errorCode, networkError, parseStatus, statusError } from './errors.ts';
import { ExecCredentialCache } from './exec-credential.ts';
import { objectPath, pluralOf, splitApiVersion, type KubeObject, type ObjectRef } from './kinds.ts';
import type { KubeConfig, TlsOptions } from './kubeconfig.ts';
import { Redactor } from './redact.ts';
import { backoffMs, formatMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, raceSignal, RetryBudget, retryPolicy, sleep, type RetryPolicy } from './retry.ts';

/** The field manager of every server-side apply cfmesh sends. */
export const FIELD_MANAGER = 'cfmesh';
/**
 * The field manager of the weight-only JSON patches (`update-route --weight` on the cluster). A JSON patch
 * is an Update, recorded apart from the Apply of the same name (BuildManagerIdentifier keys entries by
 * manager and operation), so it gets a name of its own that says what it owns.
 */
export const WEIGHTS_FIELD_MANAGER = 'cfmesh-weights';
/** cfmesh's own managers: a conflict with only these is cfmesh against itself (see apply.ts). */
export const OWN_FIELD_MANAGERS: readonly string[] = [FIELD_MANAGER, WEIGHTS_FIELD_MANAGER];

export interface KubeClientOptions {
  /** Per-request timeout (ms). */
  readonly timeoutMs?: number | undefined;
  /** Retries after the first attempt for 429, 5xx, dropped connections and timeouts. */
  readonly retries?: number | undefined;
  /** Finer control of backoff (tests use a few ms). */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Most connections kept open to the server at once. */
  readonly concurrency?: number | undefined;
  /** Stops every request and backoff; the pending call rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  /** Progress and debug lines (method, path, status, timing; never headers or bodies). */
  readonly log?: ((line: string) => void) | undefined;
  /** Told before every retry, why and when (the CLI prints it on stderr). */
  readonly onRetry?: ((line: string) => void) | undefined;
  /** The HTTP request function (undici's `request`); tests pass a recorder. */
  readonly request?: typeof request | undefined;
  /** Kind → plural for kinds whose plural is not the one kubectl guesses (kinds.ts pluralOf). */
  readonly plurals?: Readonly<Record<string, string>> | undefined;
  /**
   * What to tell the user when the server does not serve a group, a version or a kind sent: the CRDs
   * of whoever emits them (target/target.ts CrdHints), so this client names none.
   */
  readonly crdHints?: {
    group(group: string): string;
    version(group: string, served: readonly string[]): string;
    kind(kind: string, group: string): string;
  } | undefined;
  readonly userAgent?: string | undefined;
}

export interface ApplyOptions {
  readonly fieldManager?: string | undefined;
  /** `force=true`: take over fields another manager owns. Only when the user asked (--force-conflicts). */
  readonly force?: boolean | undefined;
  /** `dryRun=All` (`--dry-run=server`). */
  readonly dryRun?: boolean | undefined;
}

export interface ApplyResult {
  readonly object: KubeObject;
  /** The server answered 201 Created (the object did not exist before). */
  readonly created: boolean;
}

export type { JsonPatchOp };

export interface DeleteOptions {
  readonly dryRun?: boolean | undefined;
  /** Preconditions: delete only this exact object (not a same-named successor). */
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

export interface ApiGroupInfo {
  readonly name: string;
  readonly versions: readonly string[];
  readonly preferredVersion?: string | undefined;
}

export interface KubeClient {
  readonly server: string;
  readonly namespace: string;
  /** GET one object; undefined when it does not exist. */
  get(ref: ObjectRef & { readonly name: string }): Promise<KubeObject | undefined>;
  /** GET a collection in a namespace (follows `continue` pages). */
  list(ref: ObjectRef, opts?: { readonly labelSelector?: string | undefined }): Promise<KubeObject[]>;
  /** Server-side apply (PATCH application/apply-patch+yaml with a JSON body). */
  apply(resource: Resource | KubeObject, opts?: ApplyOptions): Promise<ApplyResult>;
  /** PATCH application/json-patch+json, as field manager `fieldManager` (default cfmesh-weights). */
  jsonPatch(ref: ObjectRef & { readonly name: string }, ops: readonly JsonPatchOp[], opts?: { readonly dryRun?: boolean | undefined; readonly fieldManager?: string | undefined }): Promise<KubeObject>;
  /** DELETE; false when the object was already gone. */
  delete(ref: ObjectRef & { readonly name: string }, opts?: DeleteOptions): Promise<boolean>;
  /** GET /apis/<group> (or /api for the core group); undefined when the server does not serve the group. */
  discover(group: string): Promise<ApiGroupInfo | undefined>;
  close(): Promise<void>;
}

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly attempts: number;
}

interface Credentials {
  readonly headers: Record<string, string | string[]>;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * The dispatcher's options. `connect.timeout` is the request timeout: undici's own default is 10 s, and a
 * server that accepts TCP but never completes the TLS handshake holds a connection that long.
 */
export function dispatcherOptions(tls: TlsOptions, connections: number, timeoutMs: number) {
  const connect = {
    timeout: timeoutMs,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: !tls.insecureSkipTlsVerify,
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
  };
  return { connect, connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 };
}

/**
 * The dispatcher, with every socket it opens tracked: undici's destroy() does not end a socket whose TLS
 * handshake is still under way, and such a socket keeps the process alive (after Ctrl-C, for instance)
 * until the connect timeout; `destroySockets` ends them.
 */
export function buildDispatcher(tls: TlsOptions, proxyUrl: string | undefined, connections: number, timeoutMs: number): { dispatcher: Dispatcher; destroySockets: () => void } {
  const { connect, ...rest } = dispatcherOptions(tls, connections, timeoutMs);
  const sockets = new Set<Socket>();
  const destroySockets = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  if (proxyUrl !== undefined) {
    return { dispatcher: new ProxyAgent({ uri: proxyUrl, requestTls: connect, proxyTls: { timeout: timeoutMs }, connections, keepAliveTimeout: 30_000 }), destroySockets };
  }
  const base = buildConnector(connect);
  const tracked: buildConnector.connector = (options, callback) => {
    const socket = (base as unknown as (o: typeof options, cb: typeof callback) => Socket | undefined)(options, callback);
    if (socket) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
  };
  return { dispatcher: new Agent({ connect: tracked, ...rest }), destroySockets };
}

export function createKubeClient(config: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const policy = retryPolicy({
    ...options.retry,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
  });
  const connections = Math.max(1, options.concurrency ?? 8);
  const log = options.log;
  const signal = options.signal;
  const redactor = new Redactor();
  const auth = config.auth;
  if (auth.type === 'token') redactor.add(auth.token);
  if (auth.type === 'basic') {
    redactor.add(auth.password);
    redactor.add(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }
  redactor.add(config.tls.key);
  if (config.proxyUrl !== undefined) {
    const p = new URL(config.proxyUrl);
    redactor.add(decodeURIComponent(p.password));
  }
  const execCache = auth.type === 'exec' ? new ExecCredentialCache(auth.exec) : undefined;

  let dispatcher: ReturnType<typeof buildDispatcher> | undefined;
  let dispatcherKey = '';
  const retired: ReturnType<typeof buildDispatcher>[] = [];

  function dispatcherFor(cert: string | undefined, key: string | undefined): Dispatcher {
    const k = `${cert ?? ''}\0${key ?? ''}`;
    if (!dispatcher || k !== dispatcherKey) {
      // A rotated exec client certificate needs new TLS connections; the old pool drains in the background.
      if (dispatcher) retired.push(dispatcher);
      dispatcher = buildDispatcher({ ...config.tls, cert: cert ?? config.tls.cert, key: key ?? config.tls.key }, config.proxyUrl, connections, policy.timeoutMs);
      dispatcherKey = k;
    }
    return dispatcher.dispatcher;
  }

  async function credentials(): Promise<Credentials> {
    const headers: Record<string, string | string[]> = {};
    const imp = config.impersonate;
    if (imp?.user !== undefined) headers['impersonate-user'] = imp.user;
    if (imp?.uid !== undefined) headers['impersonate-uid'] = imp.uid;
    // One Impersonate-Group header per group (undici sends an array as repeated headers, not joined).
    if (imp && imp.groups.length > 0) headers['impersonate-group'] = [...imp.groups];
    switch (auth.type) {
      case 'none':
        return { headers };
      case 'token':
        headers.authorization = `Bearer ${auth.token}`;
        return { headers };
      case 'tokenFile': {
        let token: string;
        try {
          token = readFileSync(auth.path, 'utf8').trim();
        } catch (err) {
          throw new ToolError('FILE_READ', `cannot read the token file ${auth.path} (${errorCode(err) ?? 'error'})`, { cause: err });
        }
        redactor.add(token);
        headers.authorization = `Bearer ${token}`;
        return { headers };
      }
      case 'basic':
        headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
        return { headers };
      case 'exec': {
        const cred = await (execCache as ExecCredentialCache).get({ redactor, signal, timeoutMs: 60_000 });
        if (cred.token !== undefined) headers.authorization = `Bearer ${cred.token}`;
        return { headers, cert: cred.clientCertificateData, key: cred.clientKeyData };
      }
    }
  }

  const doRequest = options.request ?? request;

  /**
   * One call with its retries. Each attempt is bounded by the request timeout (connecting included) and
   * the call as a whole by the retry budget (RetryBudget); every retry is announced through `onRetry`;
   * Ctrl-C (the signal) ends the call at once, even while connecting.
   */
  async function send(method: string, path: string, what: string, body?: { type: string; data: string }): Promise<RawResponse> {
    const url = `${config.server}${path}`;
    const budget = new RetryBudget(policy);
    let refreshedExec = false;
    const retryAfterWait = (attempt: number, reason: string, minWait = 0): boolean => {
      const wait = Math.max(minWait, backoffMs(policy, attempt));
      if (attempt >= policy.retries || !budget.allowsWait(wait)) return false;
      const line = `${method} ${path}: ${reason}; retrying in ${formatMs(wait)} (attempt ${attempt + 2} of ${policy.retries + 1})`;
      log?.(line);
      options.onRetry?.(line);
      pendingWait = wait;
      return true;
    };
    let pendingWait = 0;
    for (let attempt = 0; ; attempt++) {
      if (pendingWait > 0) {
        await sleep(pendingWait, signal);
        pendingWait = 0;
      }
      if (signal?.aborted) throw signal.reason;
      const cred = await credentials();
      const headers: Record<string, string | string[]> = {
        accept: 'application/json',
        'user-agent': options.userAgent ?? 'cfmesh',
        ...cred.headers,
      };
      if (body) headers['content-type'] = body.type;
      const attemptMs = budget.attemptTimeout(policy);
      const timeout = AbortSignal.timeout(attemptMs);
      const reqSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const started = Date.now();
      let status: number;
      let contentType: string;
      let text: string;
      let retryAfterHeader: string | string[] | undefined;
      try {
        const res = await raceSignal(
          doRequest(url, {
            method: method as Dispatcher.HttpMethod,
            headers,
            body: body?.data,
            dispatcher: dispatcherFor(cred.cert, cred.key),
            signal: reqSignal,
            headersTimeout: attemptMs,
            bodyTimeout: attemptMs,
          }),
          reqSignal,
        );
        status = res.statusCode;
        const ct = res.headers['content-type'];
        contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
        retryAfterHeader = res.headers['retry-after'];
        text = await raceSignal(res.body.text(), reqSignal);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const timedOut = timeout.aborted || errorCode(err) === 'UND_ERR_CONNECT_TIMEOUT';
        const code = timedOut ? 'TIMEOUT' : errorCode(err);
        if ((timedOut || isRetryableNetworkError(code)) && retryAfterWait(attempt, timedOut ? `no answer within ${formatMs(attemptMs)}` : (code ?? 'network error'))) continue;
        const gaveUp = attempt > 0 ? `; gave up after ${attempt + 1} attempts` : '';
        const e = timedOut ? new AttemptTimeout(`no answer within ${formatMs(attemptMs)}${gaveUp}`) : err;
        throw networkError(e, what, config.server, redactor);
      }
      log?.(`${method} ${path} ${status} (${Date.now() - started} ms)`);

      if (status === 401 && execCache && !refreshedExec) {
        // client-go re-runs the plugin once when the server refuses its credential.
        refreshedExec = true;
        execCache.invalidate();
        continue;
      }
      if (isRetryableStatus(status)) {
        const st = parseStatus(text);
        const after =
          parseRetryAfter(retryAfterHeader) ??
          (st?.details?.retryAfterSeconds !== undefined ? st.details.retryAfterSeconds * 1000 : undefined);
        if ((after === undefined || after <= policy.maxRetryAfterMs) && retryAfterWait(attempt, `HTTP ${status}`, after ?? 0)) continue;
      }
      return { status, contentType, body: text, attempts: attempt + 1 };
    }
  }

  function describe(verb: string, ref: ObjectRef): string {
    return `${verb} ${ref.kind}${ref.name !== undefined ? ` ${ref.namespace}/${ref.name}` : ` in namespace ${ref.namespace}`}`;
  }

  function pathFor(ref: ObjectRef): string {
    return objectPath(ref, pluralOf(ref.kind, options.plurals));
  }

  function isPlainNotFound(r: RawResponse): boolean {
    return r.status === 404 && parseStatus(r.body) === undefined;
  }

  async function crdMissing(ref: ObjectRef, what: string): Promise<ToolError> {
    const { group, version } = splitApiVersion(ref.apiVersion);
    const plural = pluralOf(ref.kind, options.plurals);
    if (group === '') {
      return new ToolError('API_REJECTED', `${what}: the server answered "404 page not found" for the core API`, {
        hint: 'is `server:` in the kubeconfig a Kubernetes API server (and not a proxy or a path below it)?',
        httpStatus: 404,
      });
    }
    const info = await discover(group);
    if (info === undefined) {
      return new ToolError('CRD_MISSING', `${what}: the server doesn't have the API group "${group}": its CRDs are not installed in this cluster`, {
        hint: options.crdHints?.group(group) ?? `install the CRDs of ${group}`,
      });
    }
    if (!info.versions.includes(version)) {
      return new ToolError('CRD_MISSING', `${what}: the server does not serve ${group}/${version} (it serves ${info.versions.join(', ')})`, {
        hint: options.crdHints?.version(group, info.versions) ?? `the installed CRDs of ${group} are older than the version cfmesh emitted`,
      });
    }
    return new ToolError('CRD_MISSING', `${what}: the server doesn't have a resource type "${plural}" in group "${group}"`, {
      hint: `the CRD for ${ref.kind} is not installed; ${options.crdHints?.kind(ref.kind, group) ?? `install the CRDs of ${group}`}`,
    });
  }

  async function fail(r: RawResponse, ref: ObjectRef, what: string): Promise<never> {
    if (isPlainNotFound(r)) throw await crdMissing(ref, what);
    throw statusError({ ...r, what, kind: ref.kind, name: ref.name }, redactor);
  }

  function parseObject(r: RawResponse, what: string): KubeObject {
    try {
      return JSON.parse(r.body) as KubeObject;
    } catch (err) {
      throw new ToolError('API_REJECTED', `${what}: the server answered ${r.status} with a body that is not JSON`, { cause: err });
    }
  }

  async function get(ref: ObjectRef & { name: string }): Promise<KubeObject | undefined> {
    const what = describe('get', ref);
    const r = await send('GET', pathFor(ref), what);
    if (r.status === 200) return parseObject(r, what);
    if (r.status === 404 && parseStatus(r.body) !== undefined) return undefined;
    return fail(r, ref, what);
  }

  async function list(ref: ObjectRef, opts: { labelSelector?: string | undefined } = {}): Promise<KubeObject[]> {
    const what = describe('list', { ...ref, name: undefined });
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams();
      if (opts.labelSelector !== undefined) q.set('labelSelector', opts.labelSelector);
      q.set('limit', '500');
      if (cont !== undefined) q.set('continue', cont);
      const r = await send('GET', `${pathFor({ ...ref, name: undefined })}?${q.toString()}`, what);
      if (r.status !== 200) return fail(r, ref, what);
      const page = parseObject(r, what) as unknown as { items?: KubeObject[]; metadata?: { continue?: string } };
      for (const item of page.items ?? []) {
        // Lists omit apiVersion/kind on items; put them back so callers can treat them as objects.
        items.push({ ...item, apiVersion: item.apiVersion ?? ref.apiVersion, kind: item.kind ?? ref.kind });
      }
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    return items;
  }

  async function apply(resource: Resource | KubeObject, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const ns = resource.metadata.namespace ?? config.namespace;
    const ref = { apiVersion: resource.apiVersion, kind: resource.kind, namespace: ns, name: resource.metadata.name };
    const what = describe(opts.dryRun ? 'apply (server dry run)' : 'apply', ref);
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? FIELD_MANAGER });
    if (opts.force) q.set('force', 'true');
    if (opts.dryRun) q.set('dryRun', 'All');
    const body = JSON.stringify({ ...resource, metadata: { ...resource.metadata, namespace: ns } });
    const r = await send('PATCH', `${pathFor(ref)}?${q.toString()}`, what, { type: 'application/apply-patch+yaml', data: body });
    if (r.status === 200 || r.status === 201) return { object: parseObject(r, what), created: r.status === 201 };
    return fail(r, ref, what);
  }

  async function jsonPatch(ref: ObjectRef & { name: string }, ops: readonly JsonPatchOp[], opts: { dryRun?: boolean | undefined; fieldManager?: string | undefined } = {}): Promise<KubeObject> {
    const what = describe('patch', ref);
    // Every write names its field manager: without one the apiserver records the user agent's prefix
    // (handlers/rest.go managerOrUserAgent), which would make cfmesh's patches look like someone else's.
    const q = new URLSearchParams({ fieldManager: opts.fieldManager ?? WEIGHTS_FIELD_MANAGER });
    if (opts.dryRun) q.set('dryRun', 'All');
    const r = await send('PATCH', `${pathFor(ref)}?${q.toString()}`, what, { type: 'application/json-patch+json', data: JSON.stringify(ops) });
    if (r.status === 200) return parseObject(r, what);
    return fail(r, ref, what);
  }

  async function del(ref: ObjectRef & { name: string }, opts: DeleteOptions = {}): Promise<boolean> {
    const what = describe(opts.dryRun ? 'delete (server dry run)' : 'delete', ref);
    const q = opts.dryRun ? '?dryRun=All' : '';
    const preconditions: Record<string, string> = {};
    if (opts.uid !== undefined) preconditions.uid = opts.uid;
    if (opts.resourceVersion !== undefined) preconditions.resourceVersion = opts.resourceVersion;
    const body = JSON.stringify({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
    });
    const r = await send('DELETE', `${pathFor(ref)}${q}`, what, { type: 'application/json', data: body });
    if (r.status === 200 || r.status === 202) return true;
    if (r.status === 404 && parseStatus(r.body) !== undefined) return false;
    return fail(r, ref, what);
  }

  async function discover(group: string): Promise<ApiGroupInfo | undefined> {
    const what = `discover API group ${group || 'core'}`;
    const r = await send('GET', group === '' ? '/api' : `/apis/${group}`, what);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw statusError({ ...r, what }, redactor);
    const doc = parseObject(r, what) as unknown as {
      versions?: ({ version?: string } | string)[];
      preferredVersion?: { version?: string };
      name?: string;
    };
    const versions = (doc.versions ?? []).map((v) => (typeof v === 'string' ? v : (v.version ?? ''))).filter((v) => v !== '');
    return { name: doc.name ?? group, versions, preferredVersion: doc.preferredVersion?.version };
  }

  return {
    server: config.server,
    namespace: config.namespace,
    get,
    list,
    apply,
    jsonPatch,
    delete: del,
    discover,
    async close() {
      // destroy, not close: close waits for requests still in flight, and an attempt abandoned after its
      // timeout (or Ctrl-C) may still be connecting to a server that never answers.
      const all = [...retired, ...(dispatcher ? [dispatcher] : [])];
      retired.length = 0;
      dispatcher = undefined;
      await Promise.all(
        all.map(async (d) => {
          d.destroySockets();
          await d.dispatcher.destroy().catch(() => undefined);
        }),
      );
    },
  };
}
