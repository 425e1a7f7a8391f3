// The conversation layouts llama.cpp writes by name (chatml, llama3, zephyr, mistral-v7, ...), rendered by its code.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace rl {

std::vector<std::string> chat_template_names();

// The text of a conversation of (role, content) messages in the named layout, ending with the opening of the
// assistant's next reply when add_assistant is set. Throws rl::Error(E_ARGUMENT) for an unknown name.
std::string apply_chat_template(const std::string & name, const std::vector<std::pair<std::string, std::string>> & messages,
                                bool add_assistant);

}  // namespace rl
