/**
 * undici, as every HTTP client of cfmesh takes it (kube/client.ts, sinks/http-sink.ts,
 * metrics/prometheus.ts): with V8's tier-up of WebAssembly put off.
 *
 * undici parses HTTP/1.1 with llhttp compiled to WebAssembly (undici 7.30
 * lib/dispatcher/client-h1.js, `new WebAssembly.Module`). V8 compiles it with Liftoff, its baseline
 * compiler, and then, once the parser has run for a budget of "bytes executed" (V8
 * src/flags/flag-definitions.h `wasm_tiering_budget`: 1,800,000 in V8 11.3, Node 20; 13,000,000 in
 * later V8), recompiles its large state machine with TurboFan on a background thread, which the
 * process waits for at exit. On this 2-core machine that is ~0.2 s of CPU and of wall time on every
 * cluster command, measured (min of 7 runs, https requests to a loopback server): 1 request 0.42 s
 * -> 0.25 s, 10 requests 0.45 -> 0.24, 100: 0.47 -> 0.33, 1,000: 0.94 -> 0.93, 4,000: 2.10 -> 1.91;
 * 10 requests on Node 22.23 (V8 12.4) 0.34 -> 0.21 s, on Node 24.22 (V8 13.6) 0.25 -> 0.19 s.
 * TurboFan's faster parser never paid for its compile at the sizes cfmesh sends and reads (answers
 * of a few KB to a few MB: llhttp skips a body's bytes in spans), so the budget is raised so far
 * (1e9 bytes, an int flag) that a cfmesh process in practice never tiers the parser up.
 *
 * The flag is read when a module is compiled, which undici does at its first connection, after
 * this module ran. It is set for V8 versions known to have it (11 to 13: Node 20, 22 and 24), as
 * V8 prints "Error: unrecognized flag" to stderr for a flag it lacks.
 */
const v8Major = Number(process.versions.v8.split('.')[0]);
if (v8Major >= 11 && v8Major <= 13) process.getBuiltinModule('node:v8').setFlagsFromString('--wasm-tiering-budget=1000000000');

export { Agent, buildConnector, ProxyAgent, request, type Dispatcher } from 'undici';
