// ggml and libllama log through callbacks; rl-ggml keeps them quiet (RL_GGML_VERBOSE=1 prints them) and remembers the
// last lines per thread so that load failures can say what ggml complained about, and a ggml abort (turned into a
// thrown rl::Error) can say what failed before it: a CUDA allocation failure becomes E_OOM.
#pragma once
#include <string>

namespace rl {

void log_install();              // once per process
void log_capture_begin();        // forget this thread's previous messages (each engine call starts with it)
std::string log_capture_last();  // the last warning/error ggml logged on this thread ("no details" if none)

}  // namespace rl
