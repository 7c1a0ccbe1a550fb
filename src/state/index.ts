/** The local state store: the public API the commands use. */
export type {
  AppRecord,
  JsonObject,
  JsonPrimitive,
  JsonValue,
  RouteDestination,
  RouteProtocol,
  RouteRecord,
  Settings,
  State,
  StateVersion,
} from './types.ts';
export { STATE_VERSION } from './types.ts';
export { emptyState, routeKey, serializeState } from './format.ts';
export { DEFAULT_STATE_DIR_NAME, resolveStateDir, STATE_DIR_ENV, STATE_FILE_NAME, statePaths } from './location.ts';
export type { StateDirInputs, StatePaths } from './location.ts';
export { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_STALE_MS } from './lock.ts';
export type { LockOptions } from './lock.ts';
export { readState, updateState } from './store.ts';
export type { Scope, UpdateOptions, UpdateResult } from './store.ts';
