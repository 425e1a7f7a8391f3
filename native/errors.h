// Errors thrown by the engine carry a stable code that the TypeScript side maps onto its typed Error classes.
#pragma once
#include <stdexcept>
#include <string>

namespace rl {

struct Error : std::runtime_error {
    std::string code;
    Error(std::string code, const std::string & message) : std::runtime_error(message), code(std::move(code)) {}
};

// Codes (mirrored in src/native.ts).
inline constexpr const char * E_NOT_FOUND   = "MODEL_NOT_FOUND";
inline constexpr const char * E_BAD_FILE    = "MODEL_BAD_FILE";     // not GGUF, truncated, unreadable
inline constexpr const char * E_UNSUPPORTED = "MODEL_UNSUPPORTED";  // architecture or tensor type
inline constexpr const char * E_BAD_MODEL   = "MODEL_INVALID";      // missing/misshaped tensors, inconsistent hparams
inline constexpr const char * E_ARGUMENT    = "INVALID_ARGUMENT";
inline constexpr const char * E_NATIVE      = "NATIVE_FAILURE";
inline constexpr const char * E_DEVICE      = "DEVICE_UNAVAILABLE";  // no such device, or a build without its backend
inline constexpr const char * E_OOM         = "OUT_OF_MEMORY";       // a host or device buffer could not be allocated

[[noreturn]] inline void fail(const char * code, const std::string & message) { throw Error(code, message); }

}  // namespace rl
