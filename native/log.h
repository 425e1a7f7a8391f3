// ggml and libllama log through callbacks; rl-ggml keeps them quiet (RL_GGML_VERBOSE=1 prints them) and remembers the
// last error line per thread so that load failures can say what ggml complained about.
#pragma once
#include <string>

namespace rl {

void log_install();           // once per process
void log_capture_begin();     // forget this thread's previous messages
std::string log_capture_last();  // the last warning/error ggml logged on this thread ("" if none)

}  // namespace rl
