#include "agent/log/json_line.hpp"

#include "agent/common/json/json_writer.hpp"

namespace outpost::log {

std::string json_line(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    json::JsonWriter out;
    out.begin_object();
    for (const auto& [name, value] : fields) out.member(name, value);
    out.end_object();
    std::string line = std::move(out).take();
    line += '\n';
    return line;
}

}  // namespace outpost::log
