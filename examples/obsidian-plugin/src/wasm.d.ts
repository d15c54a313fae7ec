// esbuild inlines .wasm imports as their bytes (loader "binary"; see esbuild.config.mjs).
declare module "*.wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
