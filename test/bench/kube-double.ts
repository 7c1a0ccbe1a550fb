// The Kubernetes API double (test/kube/api-server.ts) as a process of its own, for benchmark figures
// whose timed runs are spawned synchronously (the benchmark's event loop is blocked meanwhile, so
// a double inside it could not answer). Writes a kubeconfig (token auth, the CA as data) to the
// path given, prints `ready`, serves until stdin closes or SIGTERM.
// Usage: node --import tsx test/bench/kube-double.ts KUBECONFIG
import { startKubeApiServer } from '../kube/api-server.ts';

const [kubeconfig] = process.argv.slice(2);
if (!kubeconfig) throw new Error('usage: kube-double.ts KUBECONFIG');
const server = await startKubeApiServer();
server.writeKubeconfig({ auth: 'token', file: kubeconfig, namespace: 'default' });
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.stdout.write('ready\n');
