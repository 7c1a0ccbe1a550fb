declare const CFMESH_VERSION: string;

/** Injected by the build from package.json; tests running from source see the dev marker. */
export const VERSION = typeof CFMESH_VERSION === 'string' ? CFMESH_VERSION : '0.0.0-dev';
