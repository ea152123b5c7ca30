#include "journal_files.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace outpost::logs::test {
namespace {

bool plain_text(const std::string& text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) return false;
    }
    return true;
}

void put_field(std::string& out, const std::string& name, const std::string& value) {
    if (plain_text(value)) {
        out += name + "=" + value + "\n";
        return;
    }
    out += name + "\n";
    std::uint64_t size = value.size();
    for (int i = 0; i < 8; ++i) {  // little-endian 64-bit length
        out.push_back(static_cast<char>(size & 0xff));
        size >>= 8;
    }
    out += value + "\n";
}

// Runs systemd-journal-remote and waits; stdout and stderr to /dev/null
// (it reports how many entries it wrote).
int run_journal_remote(const std::filesystem::path& journal, const std::filesystem::path& input) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const std::string output = "--output=" + journal.string();
    const std::string in = input.string();
    char* argv[] = {const_cast<char*>(kJournalRemote), const_cast<char*>(output.c_str()),
                    const_cast<char*>(in.c_str()), nullptr};
    pid_t pid = 0;
    const int r = posix_spawn(&pid, kJournalRemote, &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (r != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

bool journal_remote_available() {
    return ::access(kJournalRemote, X_OK) == 0;
}

std::string export_format(const std::vector<Entry>& entries, std::uint64_t first_monotonic) {
    std::string out;
    std::uint64_t monotonic = first_monotonic;
    for (const auto& entry : entries) {
        out += fmt::format("__REALTIME_TIMESTAMP={}\n", entry.realtime_usec);
        out += fmt::format("__MONOTONIC_TIMESTAMP={}\n", monotonic++);
        out += "_BOOT_ID=0123456789abcdef0123456789abcdef\n";
        if (!entry.unit.empty()) out += "_SYSTEMD_UNIT=" + entry.unit + "\n";
        for (const auto& field : entry.fields) {
            out += field + "\n";
        }
        put_field(out, "MESSAGE", entry.message);
        out += "\n";
    }
    return out;
}

void append_entries(const std::filesystem::path& journal, const std::vector<Entry>& entries) {
    // Outside the journal directory, so the reader under test sees only
    // journal-remote's writes; monotonic time goes on rising across calls.
    static int serial = 0;
    static std::uint64_t monotonic = 1000;
    const auto input = std::filesystem::temp_directory_path() /
                       fmt::format("outpost-journal-export-{}-{}", ::getpid(), serial++);
    {
        std::ofstream out(input, std::ios::binary);
        out << export_format(entries, monotonic);
        monotonic += entries.size();
        if (!out) throw std::runtime_error("writing " + input.string());
    }
    const int status = run_journal_remote(journal, input);
    std::filesystem::remove(input);
    if (status != 0) {
        throw std::runtime_error(fmt::format("{} exited with {}", kJournalRemote, status));
    }
}

}  // namespace outpost::logs::test
