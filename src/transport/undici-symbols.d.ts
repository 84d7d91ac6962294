// undici's internal symbols module (CommonJS, no type declarations of its own): only the one used here.
declare module 'undici/lib/core/symbols.js' {
  const symbols: { readonly kQueuedAbort: unique symbol };
  export default symbols;
}
