import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';

/**
 * Makes an output file path ready before any work is done: its folder is created when missing; a path that is a
 * folder, or whose folder is a file, is a named error (`flag` names the option). Returns the absolute path.
 */
export function prepareOutputFile(file: string, flag: string): string {
  const abs = path.resolve(file);
  if (file.endsWith('/') || file.endsWith(path.sep) || (fs.existsSync(abs) && fs.statSync(abs).isDirectory())) {
    throw new ConfigError(`${flag} ${file} is a folder; give a file name (e.g. ${path.join(file, 'out' + defaultExt(flag))})`);
  }
  const dir = path.dirname(abs);
  // walk up to the first existing ancestor: it must be a folder
  let probe = dir;
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  if (!fs.statSync(probe).isDirectory()) throw new ConfigError(`${flag} ${file}: ${probe} is a file, so no folder can be made there`);
  fs.mkdirSync(dir, { recursive: true });
  return abs;
}

function defaultExt(flag: string): string {
  return flag === '--overlay' ? '.png' : flag === '--out' ? '.json' : flag === '--maps-out' ? '.npy' : '.txt';
}
