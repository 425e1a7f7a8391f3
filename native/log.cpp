#include "log.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "errors.h"
#include "ggml.h"
#include "llama.h"

namespace rl {
namespace {

thread_local std::string last_message;
bool verbose = false;

void on_log(ggml_log_level level, const char * text, void *) {
    if (verbose) std::fputs(text, stderr);
    if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
        std::string line(text);
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) last_message = line;
    }
}

// ggml calls this on a failed GGML_ASSERT. Throwing turns a would-be process abort into a JS exception when the failure
// happens on the calling thread (all graph building and validation does); the engine validates inputs beforehand so
// this is a last line of defence, not an error path.
void on_abort(const char * message) { throw Error(E_NATIVE, std::string("ggml internal error: ") + message); }

}  // namespace

void log_install() {
    const char * v = std::getenv("RL_GGML_VERBOSE");
    verbose = v && *v && std::string(v) != "0";
    ggml_log_set(on_log, nullptr);
    llama_log_set(on_log, nullptr);
    ggml_set_abort_callback(on_abort);
}

void log_capture_begin() { last_message.clear(); }

std::string log_capture_last() { return last_message.empty() ? "no details" : last_message; }

}  // namespace rl
