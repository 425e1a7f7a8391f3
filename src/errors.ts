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
/** A failure inside the native engine (out of memory, ggml failure). */
export class NativeError extends RlGgmlError {}
