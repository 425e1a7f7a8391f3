/** Base class of every error rl-ggml throws on purpose; `code` is stable for programmatic handling. */
export class RlGgmlError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A model file that cannot be used: missing, unreadable, not GGUF, truncated, wrong shapes, unsupported. */
export class ModelLoadError extends RlGgmlError {}
/** The model uses something rl-ggml does not support (architecture, tensor type). */
export class UnsupportedModelError extends ModelLoadError {}
/** An argument or input that is invalid (bad config, text too long for the context, ...). */
export class InvalidArgumentError extends RlGgmlError {}
/** A model used after `dispose()`. */
export class DisposedError extends RlGgmlError {}
/** An environment misuse: unknown id, action index out of range, bad state. */
export class EnvError extends RlGgmlError {}
/** A failure inside the native engine (a ggml failure, a missing addon). */
export class NativeError extends RlGgmlError {}
/** A host or GPU buffer could not be allocated: use a smaller model, batch or token budget, or another device. */
export class OutOfMemoryError extends NativeError {}
/** The requested compute device does not exist here, or this build lacks its backend (see `rl-ggml info --devices`). */
export class DeviceError extends RlGgmlError {}
