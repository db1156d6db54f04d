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

/** A model holds layers (or layer settings) that an exporter cannot express; `layers` lists each with the reason. */
export class UnsupportedLayerError extends GrasplabError {
  constructor(
    readonly format: string,
    readonly layers: ReadonlyArray<{ name: string; className: string; why: string }>,
  ) {
    super(`cannot export to ${format}: unsupported layer${layers.length === 1 ? '' : 's'} ${layers.map((l) => `'${l.name}' (${l.className}: ${l.why})`).join(', ')}`);
  }
}
