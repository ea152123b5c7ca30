#pragma once
// Facts about the host sent in `hello.data.host` (protocol.md §3.1).

#include <filesystem>
#include <string>

namespace outpost::collectors {

struct HostInfo {
    std::string hostname;
    std::string os;          // PRETTY_NAME from os-release, or "Linux"
    std::string kernel;      // kernel release, e.g. 6.1.0-27-amd64
    std::string arch;        // e.g. x86_64
    std::string machine_id;  // /etc/machine-id; empty when the host has none
    std::string boot_id;     // changes every boot; empty when unreadable
};

// Reads from `root` (normally "/"; tests pass a saved snapshot). Missing
// files give empty fields, never an error: hello must go out regardless.
[[nodiscard]] HostInfo collect_host_info(const std::filesystem::path& root = "/");

}  // namespace outpost::collectors
