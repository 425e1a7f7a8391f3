#include "chat.h"

#include <algorithm>

#include "errors.h"
#include "llama.h"

namespace rl {

std::vector<std::string> chat_template_names() {
    std::vector<const char *> names(llama_chat_builtin_templates(nullptr, 0));
    llama_chat_builtin_templates(names.data(), names.size());
    return {names.begin(), names.end()};
}

std::string apply_chat_template(const std::string & name, const std::vector<std::pair<std::string, std::string>> & messages,
                                bool add_assistant) {
    // llama.cpp would take any other text for a Jinja template and guess at it.
    const std::vector<std::string> names = chat_template_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) fail(E_ARGUMENT, "unknown chat template \"" + name + "\"");
    std::vector<llama_chat_message> msgs;
    size_t chars = 0;
    for (const auto & [role, content] : messages) {
        msgs.push_back({role.c_str(), content.c_str()});
        chars += role.size() + content.size();
    }
    std::string out(2 * chars + 256, '\0');
    int32_t n = llama_chat_apply_template(name.c_str(), msgs.data(), msgs.size(), add_assistant, out.data(), (int32_t) out.size());
    if (n > (int32_t) out.size()) {
        out.resize(n);
        n = llama_chat_apply_template(name.c_str(), msgs.data(), msgs.size(), add_assistant, out.data(), (int32_t) out.size());
    }
    if (n < 0) fail(E_ARGUMENT, "the chat template \"" + name + "\" cannot lay out this conversation");
    out.resize(n);
    return out;
}

}  // namespace rl
