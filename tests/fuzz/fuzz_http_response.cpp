// libFuzzer target for the containers collector's HTTP response reader:
// arbitrary bytes as what a Docker socket sends back. A parse either fails
// with a message, asks for more bytes, or yields a response that more bytes
// do not change; a complete body then goes through the Docker JSON readers,
// which also may only fail with a message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectors/containers/docker_json.hpp"
#include "collectors/containers/http_response.hpp"

namespace {

using outpost::collectors::containers::parse_http_response;

void require(bool condition) {
    if (!condition) __builtin_trap();
}

void read_as_docker_json(std::string_view body) {
    namespace c = outpost::collectors::containers;
    if (auto list = c::parse_container_list(body); !list) require(!list.error().message().empty());
    if (auto inspected = c::parse_container_inspect(body); !inspected)
        require(!inspected.error().message().empty());
    if (auto stats = c::parse_container_stats(body); stats && stats->cpu && stats->precpu) {
        (void)c::cpu_percent_between(*stats->precpu, *stats->cpu);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 1024 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (bool closed : {false, true}) {
        auto response = parse_http_response(input, closed);
        if (!response) {
            require(!response.error().message().empty());
            continue;
        }
        if (!*response) {
            require(!closed);  // once the peer closed, the answer is complete or an error
            continue;
        }
        const auto& head = (*response)->head;
        require(head.status >= 200 && head.status <= 599);
        require(head.body_offset <= input.size());
        require((*response)->body.size() <= input.size() - head.body_offset);
        read_as_docker_json((*response)->body);
    }
    // A response complete in a prefix stays the same when more bytes follow
    // (the reader never looks past the end of the message it found).
    const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    auto prefix = parse_http_response(input.substr(0, cut), false);
    if (prefix && *prefix) {
        auto whole = parse_http_response(input, false);
        require(whole && *whole && (*whole)->body == (*prefix)->body);
    }
    return 0;
}
