#include "collectors/proc_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace outpost::collectors {
namespace {

// Reads until EOF or past `max_bytes`; false on a read error or when the file
// is larger than the bound.
bool read_all(int fd, std::string& out, std::size_t max_bytes) {
    out.clear();
    std::size_t used = 0;
    for (;;) {
        if (out.size() < used + 4096) out.resize(used + 4096);
        const ssize_t got = ::read(fd, out.data() + used, out.size() - used);
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (got == 0) break;
        used += static_cast<std::size_t>(got);
        if (used > max_bytes) return false;
    }
    out.resize(used);
    return true;
}

}  // namespace

Expected<std::string> read_proc_file(const std::string& path, std::size_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        const ErrorKind kind = error == ENOENT   ? ErrorKind::not_found
                               : error == EACCES ? ErrorKind::permission
                                                 : ErrorKind::io;
        return fail(kind, path + ": " + std::strerror(error));
    }
    std::string text;
    const bool ok = read_all(fd, text, max_bytes);
    const int error = errno;
    ::close(fd);
    if (!ok) {
        if (text.size() > max_bytes) {
            return fail(ErrorKind::invalid_input,
                        path + ": larger than " + std::to_string(max_bytes) + " bytes");
        }
        return fail(ErrorKind::io, path + ": " + std::strerror(error));
    }
    return text;
}

bool read_small_file_at(int dir_fd, const char* name, std::string& buffer, std::size_t max_bytes) {
    const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = read_all(fd, buffer, max_bytes);
    ::close(fd);
    return ok;
}

std::string_view next_line(std::string_view& text) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return line;
}

std::string_view next_field(std::string_view& text) {
    std::size_t start = 0;
    while (start < text.size() && (text[start] == ' ' || text[start] == '\t')) ++start;
    std::size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n') ++end;
    std::string_view field = text.substr(start, end - start);
    text.remove_prefix(end);
    return field;
}

std::optional<std::uint64_t> parse_u64(std::string_view field) {
    std::uint64_t value = 0;
    if (field.empty()) return std::nullopt;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc{} || end != field.data() + field.size()) return std::nullopt;
    return value;
}

std::optional<std::int64_t> parse_i64(std::string_view field) {
    std::int64_t value = 0;
    if (field.empty()) return std::nullopt;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc{} || end != field.data() + field.size()) return std::nullopt;
    return value;
}

std::optional<double> parse_decimal(std::string_view field) {
    // The kernel prints these as digits, '.', digits; from_chars for double
    // would also take "inf", "nan" and exponents, which no kernel writes.
    for (char c : field) {
        if ((c < '0' || c > '9') && c != '.') return std::nullopt;
    }
    double value = 0;
    if (field.empty()) return std::nullopt;
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc{} || end != field.data() + field.size()) return std::nullopt;
    return value;
}

std::string printable_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) c = '?';
    }
    return out;
}

}  // namespace outpost::collectors
