#include "log.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "errors.h"
#include "ggml.h"
#include "llama.h"

namespace rl {
namespace {

thread_local std::string last_message;           // the last warning or error line
thread_local std::vector<std::string> errors;    // the last few error lines since log_capture_begin
constexpr size_t kErrorsKept = 4;
bool verbose = false;

std::string trimmed(const char * text) {
    std::string line(text);
    const size_t begin = line.find_first_not_of(' ');
    const size_t end = line.find_last_not_of(" \n");
    return begin == std::string::npos ? "" : line.substr(begin, end - begin + 1);
}

void on_log(ggml_log_level level, const char * text, void *) {
    if (verbose) std::fputs(text, stderr);
    if (level != GGML_LOG_LEVEL_ERROR && level != GGML_LOG_LEVEL_WARN) return;
    std::string line = trimmed(text);
    if (line.empty()) return;
    last_message = line;
    if (level != GGML_LOG_LEVEL_ERROR) return;
    if (errors.size() == kErrorsKept) errors.erase(errors.begin());
    errors.push_back(std::move(line));
}

// The CUDA runtime's and cuBLAS's words for a failed allocation.
bool says_out_of_memory(const std::string & line) {
    return line.find("out of memory") != std::string::npos || line.find("ALLOC_FAILED") != std::string::npos ||
           line.find("resource allocation failed") != std::string::npos;
}

// ggml calls this on a failed GGML_ASSERT, and its CUDA backend on any failed CUDA or cuBLAS call (after logging the
// call's error). Throwing turns a would-be process abort into a JS exception when the failure happens on the thread
// that runs the graph (graph building, validation and every CUDA launch do). Engine inputs are validated beforehand,
// so a broken invariant is a last line of defence; but a device allocation inside ggml's compute (its memory pools,
// cuBLAS workspaces) can fail on a full GPU, and that is the user's out-of-memory, not an internal error.
void on_abort(const char * message) {
    std::string details;
    bool out_of_memory = false;
    for (const std::string & line : errors) {
        details += (details.empty() ? "" : "; ") + line;
        out_of_memory = out_of_memory || says_out_of_memory(line);
    }
    errors.clear();
    if (out_of_memory)
        throw Error(E_OOM, "the device ran out of memory while computing (" + details +
                               "): use a smaller batch, token budget or model, or another device");
    throw Error(E_NATIVE, "ggml internal error: " + std::string(message) + (details.empty() ? "" : " (" + details + ")"));
}

}  // namespace

void log_install() {
    const char * v = std::getenv("RL_GGML_VERBOSE");
    verbose = v && *v && std::string(v) != "0";
    ggml_log_set(on_log, nullptr);
    llama_log_set(on_log, nullptr);
    ggml_set_abort_callback(on_abort);
}

void log_capture_begin() {
    last_message.clear();
    errors.clear();
}

std::string log_capture_last() { return last_message.empty() ? "no details" : last_message; }

}  // namespace rl
