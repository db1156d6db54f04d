/** Base class: every error grasplab raises on purpose names what was expected, what was found, and where. */
export class GrasplabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A file or folder is missing, unreadable, or not in the expected format. */
export class DataFormatError extends GrasplabError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/**
 * A state dict does not fit a model: keys the model has no weight for, weights the state dict has no key for, and
 * keys whose array has the wrong shape, all listed (keys named as in the state dict).
 */
export class StateDictMismatchError extends DataFormatError {
  readonly unexpected: string[];
  readonly missing: string[];
  readonly shapes: { key: string; got: number[]; expected: number[] }[];
  constructor(file: string, m: { unexpected: string[]; missing: string[]; shapes: { key: string; got: number[]; expected: number[] }[]; model: string }) {
    const list = (keys: string[]) => (keys.length > 12 ? `${keys.slice(0, 12).join(', ')}, … (${keys.length - 12} more)` : keys.join(', '));
    const parts: string[] = [];
    if (m.unexpected.length) parts.push(`${m.unexpected.length} key(s) match no weight of model '${m.model}': ${list(m.unexpected)}`);
    if (m.missing.length) parts.push(`${m.missing.length} weight(s) of model '${m.model}' have no key: ${list(m.missing)}`);
    if (m.shapes.length) parts.push(`${m.shapes.length} key(s) have the wrong shape: ${list(m.shapes.map((s) => `${s.key} (${s.got.join(',')}), expected (${s.expected.join(',')})`))}`);
    super(file, `state dict does not fit the model (is this the right architecture and configuration?): ${parts.join('; ')}`);
    this.unexpected = m.unexpected;
    this.missing = m.missing;
    this.shapes = m.shapes;
  }
}

/** A dataset folder holds no samples of the expected kind. */
export class DatasetNotFoundError extends GrasplabError {}

/** A tensor or image has the wrong shape. */
export class ShapeError extends GrasplabError {}

/** A config value is unknown or out of range. */
export class ConfigError extends GrasplabError {}

/** The selected tfjs backend cannot do what was asked (e.g. a missing gradient kernel). */
export class BackendCapabilityError extends GrasplabError {}

/** Training diverged (NaN/Inf loss). */
export class TrainingDivergedError extends GrasplabError {}
