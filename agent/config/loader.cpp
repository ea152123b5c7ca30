#include "agent/config/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

struct FdCloser {
    explicit FdCloser(int descriptor) : fd(descriptor) {}
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;
    ~FdCloser() { ::close(fd); }
    int fd;
};

std::string_view file_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a file";
}

// At most `limit` bytes of `fd`, or the errno of a failed read. The caller
// refuses text longer than it wants, so `limit` is one more than that.
std::expected<std::string, int> read_bounded(int fd, std::size_t limit) {
    std::string text;
    char buffer[16 * 1024];
    while (text.size() < limit) {
        const ssize_t got = ::read(fd, buffer, std::min(sizeof buffer, limit - text.size()));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return std::unexpected(errno);
        if (got == 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    return text;
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
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    // before we could even look at what the path is.
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return one_issue(file, Position{}, fmt::format("cannot open: {}", os_error(errno)));
    }
    const FdCloser closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        return one_issue(file, Position{}, fmt::format("cannot read: {}", os_error(errno)));
    }
    if (S_ISDIR(info.st_mode)) {
        return one_issue(file, Position{}, fmt::format("cannot read: {}", os_error(EISDIR)));
    }
    // A FIFO, socket or device may never end (or never start): only a
    // regular file has a size to bound the read by.
    if (!S_ISREG(info.st_mode)) {
        return one_issue(file, Position{},
                         fmt::format("not a regular file ({})", file_kind(info.st_mode)));
    }
    auto text = read_bounded(fd, kMaxConfigBytes + 1);
    if (!text) {
        return one_issue(file, Position{}, fmt::format("cannot read: {}", os_error(text.error())));
    }
    return load_config_text(*text, file);
}

}  // namespace outpost::config
