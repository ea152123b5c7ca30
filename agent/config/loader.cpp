#include "agent/config/loader.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/config/field.hpp"
#include "agent/config/rules.hpp"
#include "agent/config/tables.hpp"
#include "agent/config/text_guard.hpp"
#include "agent/config/yaml_document.hpp"

namespace outpost::config {
namespace {

std::unexpected<std::vector<ConfigIssue>> one_issue(std::string file, Position where,
                                                    std::string message) {
    return std::unexpected(std::vector<ConfigIssue>{
        ConfigIssue{std::move(file), where.line, where.column, "", std::move(message)}});
}

LoadResult load_document(const YAML::Node& root, const std::string& file) {
    if (!root.IsDefined() || root.IsNull()) {
        return one_issue(file, Position{1, 1},
                         "the document is empty; expected a map of sections (server.url at least)");
    }
    if (!root.IsMap()) {
        return one_issue(file, position_of(root),
                         fmt::format("expected a map of sections at the top level, found {}",
                                     describe_kind(root)));
    }
    Config config{};
    IssueSink sink(file);
    apply_table(root, root_table(), config, Context{&sink, "", Position{1, 1}});
    apply_rules(config, sink);
    if (!sink.empty()) {
        return std::unexpected(sink.take());
    }
    return config;
}

}  // namespace

std::string format_issue(const ConfigIssue& issue) {
    std::string out = issue.file;
    if (issue.line > 0) {
        out += fmt::format(":{}", issue.line);
        if (issue.column > 0) {
            out += fmt::format(":{}", issue.column);
        }
    }
    out += ": ";
    if (!issue.key_path.empty()) {
        out += issue.key_path + ": ";
    }
    out += issue.message;
    return out;
}

LoadResult load_config_text(std::string_view yaml, std::string_view source_name) {
    const std::string file(source_name);
    if (auto refusal = check_text_shape(yaml)) {
        return one_issue(file, refusal->where, refusal->message);
    }
    auto root = parse_one_document(yaml);
    if (!root) {
        return one_issue(file, root.error().where, root.error().message);
    }
    // Node access can throw too (yaml-cpp reports by exceptions); none may
    // leave this module.
    try {
        return load_document(*root, file);
    } catch (const YAML::Exception& e) {
        return one_issue(file, position_of_mark(e.mark), "cannot load: " + e.msg);
    } catch (const std::exception& e) {
        return one_issue(file, Position{}, fmt::format("cannot load: {}", e.what()));
    }
}

LoadResult load_config_file(const std::filesystem::path& path) {
    const std::string file = path.string();
    const auto os_error = [](int code) { return std::generic_category().message(code); };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"),
                                                           &std::fclose);
    if (!stream) {
        return one_issue(file, Position{}, fmt::format("cannot open: {}", os_error(errno)));
    }
    std::string text;
    char buffer[16 * 1024];
    while (text.size() <= kMaxConfigBytes) {
        const std::size_t got = std::fread(buffer, 1, sizeof buffer, stream.get());
        text.append(buffer, got);
        if (got < sizeof buffer) {
            break;
        }
    }
    if (std::ferror(stream.get()) != 0) {
        return one_issue(file, Position{}, fmt::format("cannot read: {}", os_error(errno)));
    }
    return load_config_text(text, file);
}

}  // namespace outpost::config
