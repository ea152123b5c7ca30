// libFuzzer target for <proc>/<pid>/stat and <pid>/status: arbitrary bytes
// as either file. A parse either fails with a message or yields a comm that
// lies inside the input and a single-character state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/pid_parse.hpp"
#include "collectors/proc_text.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto stat = outpost::collectors::parse_pid_stat(input)) {
        require(stat->comm.data() >= input.data());
        require(stat->comm.data() + stat->comm.size() <= input.data() + input.size());
        require(stat->state != ' ' && stat->state != '\n');
        for (char c : outpost::collectors::printable_ascii(stat->comm)) {
            require(c >= 0x20 && c < 0x7f);
        }
    } else {
        require(!stat.error().message().empty());
    }
    if (auto uid = outpost::collectors::parse_status_uid(input); !uid) {
        require(!uid.error().message().empty());
    }
    return 0;
}
