// A real Prometheus (Debian's `prometheus`, installed by .ci/run) on 127.0.0.1, scraping every half second a
// small exporter that serves Istio's standard request metrics at rates a test sets.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** Istio's default buckets for istio_request_duration_milliseconds (ms). */
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export interface Traffic {
  /** Requests per second. */
  readonly rate: number;
  /** Share of responses that are 500, 0-1. */
  readonly errors: number;
  /** Every request's duration, ms. */
  readonly latencyMs: number;
}

interface Series {
  traffic: Traffic;
  last: number;
  ok: number;
  bad: number;
  buckets: number[];
  sum: number;
}

/** The destination workload a canary's metrics are about: the labels Istio's proxies take from the pod. */
export interface Workload {
  readonly namespace: string;
  readonly app: string;
  readonly version?: string | undefined;
}

export class Exporter {
  private readonly series = new Map<string, { workload: Workload; s: Series }>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** From now on the workload gets this traffic (counters keep counting from where they are). */
  set(workload: Workload, traffic: Traffic): void {
    const key = JSON.stringify(workload);
    const entry = this.series.get(key);
    if (entry) {
      this.advance(entry.s);
      entry.s.traffic = traffic;
    } else {
      this.series.set(key, { workload, s: { traffic, last: Date.now(), ok: 0, bad: 0, buckets: BUCKETS.map(() => 0), sum: 0 } });
    }
  }

  private advance(s: Series): void {
    const now = Date.now();
    const n = (s.traffic.rate * (now - s.last)) / 1000;
    s.last = now;
    s.ok += n * (1 - s.traffic.errors);
    s.bad += n * s.traffic.errors;
    BUCKETS.forEach((le, i) => {
      if (s.traffic.latencyMs <= le) s.buckets[i] = (s.buckets[i] as number) + n;
    });
    s.sum += n * s.traffic.latencyMs;
  }

  private render(): string {
    let out = '# TYPE istio_requests_total counter\n';
    let hist = '# TYPE istio_request_duration_milliseconds histogram\n';
    for (const { workload, s } of this.series.values()) {
      this.advance(s);
      const labels = (code: string) =>
        `reporter="destination",destination_workload_namespace="${workload.namespace}",destination_app="${workload.app}"${workload.version ? `,destination_version="${workload.version}"` : ''},response_code="${code}"`;
      // The source side too, which the queries must leave out (reporter="destination").
      out += `istio_requests_total{${labels('200')}} ${s.ok}\n`;
      out += `istio_requests_total{${labels('500')}} ${s.bad}\n`;
      out += `istio_requests_total{${labels('200').replace('reporter="destination"', 'reporter="source"')}} ${s.ok * 3}\n`;
      BUCKETS.forEach((le, i) => (hist += `istio_request_duration_milliseconds_bucket{${labels('200')},le="${le}"} ${s.buckets[i]}\n`));
      hist += `istio_request_duration_milliseconds_bucket{${labels('200')},le="+Inf"} ${s.ok + s.bad}\n`;
      hist += `istio_request_duration_milliseconds_sum{${labels('200')}} ${s.sum}\n`;
      hist += `istio_request_duration_milliseconds_count{${labels('200')}} ${s.ok + s.bad}\n`;
    }
    return out + hist;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A port nothing listens on (bound, then let go). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PrometheusServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts Prometheus scraping `exporterPort` every 500 ms (four scrapes in the tests' 2 s window), and waits until it is ready and has scraped once. */
export async function startPrometheus(exporterPort: number): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y prometheus (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 500ms\n  evaluation_interval: 500ms\nscrape_configs:\n- job_name: mesh\n  static_configs:\n  - targets: ['127.0.0.1:${exporterPort}']\n`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Bounded by attempts, not by a clock reading: 300 tries 100 ms apart.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up{job="mesh"}')}`);
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      if (body.data?.result?.[0]?.value[1] === '1') return { url, close };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await close();
  throw new Error(`Prometheus did not become ready: ${log}`);
}
