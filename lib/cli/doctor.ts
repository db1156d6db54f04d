import type { CliIO } from './run';
import type { Parsed } from './spec';
import type { DOCTOR } from './commands';

export async function doctorCommand(_p: Parsed<typeof DOCTOR.options>, io: CliIO): Promise<number> {
  io.out('{}');
  return 0;
}
