// oidc-provider ships no type declarations. Only the development provider and the test fixtures use it,
// and they go through the narrow interfaces in devprovider/providerApp.ts, so the module is declared loosely.
declare module 'oidc-provider' {
  const Provider: new (issuer: string, configuration: Record<string, unknown>) => unknown;
  export default Provider;
}

declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  /** A memory adapter factory with its own store (the default adapter shares one store per process). */
  export function createMemoryAdapter(clockTolerance?: number): (model: string) => unknown;
}
