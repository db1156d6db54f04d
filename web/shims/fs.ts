// Stands in for Node's fs in the browser bundle: shared lib modules (and geotiff's fromFile) import it, but the page
// never calls their file-reading functions; if something did, it fails with a clear message.
function unavailable(): never {
  throw new Error('fs is not available in the browser');
}
export const promises = { readFile: unavailable, writeFile: unavailable };
export const readFileSync = unavailable;
export const existsSync = (): boolean => false;
export default { promises, readFileSync, existsSync };
