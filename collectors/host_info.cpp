#include "collectors/host_info.hpp"

#include <sys/utsname.h>

#include <fstream>
#include <sstream>

namespace outpost::collectors {
namespace {

constexpr size_t kMaxField = 256;  // bound what a hostile file can make us send

std::string first_line(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return {};
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.size() > kMaxField) line.resize(kMaxField);
    return line;
}

std::string unquote(std::string value) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
    }
    return value;
}

std::string os_pretty_name(const std::filesystem::path& root) {
    for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
        std::ifstream in(root / candidate);
        std::string line;
        while (in && std::getline(in, line)) {
            if (line.rfind("PRETTY_NAME=", 0) == 0) {
                std::string value = unquote(line.substr(12));
                if (value.size() > kMaxField) value.resize(kMaxField);
                if (!value.empty()) return value;
            }
        }
    }
    return "Linux";
}

}  // namespace

HostInfo collect_host_info(const std::filesystem::path& root) {
    HostInfo info;
    info.hostname = first_line(root / "proc/sys/kernel/hostname");
    info.kernel = first_line(root / "proc/sys/kernel/osrelease");
    info.machine_id = first_line(root / "etc/machine-id");
    info.boot_id = first_line(root / "proc/sys/kernel/random/boot_id");
    info.os = os_pretty_name(root);
    // The architecture is the running kernel's, not a file; uname cannot fail
    // on Linux with a valid buffer.
    struct utsname uts {};
    if (::uname(&uts) == 0) info.arch = uts.machine;
    return info;
}

}  // namespace outpost::collectors
