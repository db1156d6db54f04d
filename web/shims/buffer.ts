// Injected by esbuild (web/build.ts) wherever lib code names the Node global `Buffer`: the `buffer` package is
// the browser implementation pngjs's own browser build also uses.
export { Buffer } from 'buffer';
