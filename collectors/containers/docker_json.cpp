#include "collectors/containers/docker_json.hpp"

#include <algorithm>

#include "agent/common/json/json_reader.hpp"

namespace outpost::collectors::containers {
namespace {

std::unexpected<Error> bad(std::string_view what, std::string why) {
    return fail(ErrorKind::invalid_input, std::string(what) + ": " + std::move(why));
}

std::optional<std::uint64_t> uint64_at(const json::Object& object, std::string_view key) {
    const auto value = object.find(key);
    return value ? value->uint64() : std::nullopt;
}

std::optional<json::Object> object_at(const json::Object& object, std::string_view key) {
    const auto value = object.find(key);
    return value ? value->object() : std::nullopt;
}

// Text from the engine shown in a note: at most 80 bytes, every byte outside
// printable ASCII as \xNN, so a CR/LF or escape sequence reaches no log.
std::string printable_excerpt(std::string_view text) {
    constexpr std::size_t limit = 80;
    std::string out = "\"";
    for (const char c : text.substr(0, limit)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
            constexpr std::string_view hex = "0123456789abcdef";
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += text.size() > limit ? "\"..." : "\"";
    return out;
}

std::string strip_leading_slash(std::string_view name) {
    if (name.starts_with('/')) name.remove_prefix(1);
    return std::string(name);
}

Expected<ListedContainer> read_listed(json::ObjectReader& reader) {
    ListedContainer container;
    container.id = reader.string("Id");
    container.image = reader.string("Image");
    container.state = reader.string("State");
    const auto names = reader.strings("Names");
    if (reader.failed()) return fail(ErrorKind::invalid_input, reader.error());
    // Docker lists a container's name and, for legacy links, other aliases
    // ("/web/db"); the first is the container's own.
    container.name =
        names.empty() ? container.id.substr(0, 12) : strip_leading_slash(names.front());
    return container;
}

// cpu_stats or precpu_stats; nullopt when the engine left it zero (no
// previous reading) or without the host's counter.
std::optional<CpuCounters> read_cpu(const json::Object& stats, std::string_view key) {
    const auto cpu = object_at(stats, key);
    if (!cpu) return std::nullopt;
    const auto usage = object_at(*cpu, "cpu_usage");
    const auto total = usage ? uint64_at(*usage, "total_usage") : std::nullopt;
    const auto system = uint64_at(*cpu, "system_cpu_usage");
    if (!total || !system || *system == 0) return std::nullopt;
    CpuCounters counters{*total, *system, 0};
    const auto online = uint64_at(*cpu, "online_cpus");
    counters.online_cpus = online ? static_cast<std::uint32_t>(*online) : 0;
    if (counters.online_cpus == 0 && usage) {
        // Engines before API 1.27 only list per-core usage.
        const auto per_cpu = usage->find("percpu_usage");
        const auto array = per_cpu ? per_cpu->array() : std::nullopt;
        counters.online_cpus = array ? static_cast<std::uint32_t>(array->size()) : 0;
    }
    return counters;
}

// cgroup v2 names the inactive page cache `inactive_file`, v1
// `total_inactive_file`; `docker stats` subtracts it from usage.
std::optional<std::uint64_t> read_memory(const json::Object& stats) {
    const auto memory = object_at(stats, "memory_stats");
    if (!memory) return std::nullopt;
    const auto usage = uint64_at(*memory, "usage");
    if (!usage) return std::nullopt;
    const auto details = object_at(*memory, "stats");
    std::optional<std::uint64_t> inactive;
    if (details) {
        inactive = uint64_at(*details, "total_inactive_file");
        if (!inactive) inactive = uint64_at(*details, "inactive_file");
    }
    if (inactive && *inactive <= *usage) return *usage - *inactive;
    return usage;
}

}  // namespace

bool is_container_id(std::string_view id) {
    constexpr std::size_t shortest = 12;
    constexpr std::size_t longest = 64;
    if (id.size() < shortest || id.size() > longest) return false;
    return std::ranges::all_of(
        id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Expected<ContainerList> parse_container_list(std::string_view json) {
    auto document = json::Document::parse(json);
    if (!document) return std::unexpected(document.error().context("container list"));
    const auto array = document->root().array();
    if (!array) return bad("container list", "not a JSON array");
    ContainerList list;
    list.containers.reserve(array->size());
    std::size_t index = 0;
    for (const auto entry : *array) {
        const auto object = entry.object();
        const std::string where = "container list entry " + std::to_string(index++);
        if (!object) return bad(where, "not an object");
        json::ObjectReader reader(*object);
        auto container = read_listed(reader);
        if (!container) return std::unexpected(container.error().context(where));
        if (!is_container_id(container->id)) {
            // Shown in status and the sample: escaped, and cut short.
            list.left_out.push_back(where + ": Id " + printable_excerpt(container->id) +
                                    " is not 12 to 64 lowercase hex digits; left out");
            continue;
        }
        list.containers.push_back(std::move(*container));
    }
    return list;
}

Expected<InspectedContainer> parse_container_inspect(std::string_view json) {
    auto document = json::Document::parse(json);
    if (!document) return std::unexpected(document.error().context("container inspect"));
    const auto root = document->root().object();
    if (!root) return bad("container inspect", "not a JSON object");
    json::ObjectReader reader(*root);
    InspectedContainer container;
    container.restart_count = reader.uint64("RestartCount");
    auto state = reader.object("State");
    if (state) {
        container.state = state->string("Status");
        // Health is absent (Docker) or null (podman) without a healthcheck.
        if (auto health = state->object("Health", false)) {
            container.health = health->optional_string("Status").value_or("");
        }
    }
    if (reader.failed()) return bad("container inspect", reader.error());
    return container;
}

Expected<StatsReading> parse_container_stats(std::string_view json) {
    // podman's answer for a container that is not running (any more).
    if (json.empty()) return StatsReading{};
    auto document = json::Document::parse(json);
    if (!document) return std::unexpected(document.error().context("container stats"));
    const auto root = document->root().object();
    if (!root) return bad("container stats", "not a JSON object");
    StatsReading reading;
    reading.memory_bytes = read_memory(*root);
    reading.cpu = read_cpu(*root, "cpu_stats");
    reading.precpu = read_cpu(*root, "precpu_stats");
    return reading;
}

std::optional<double> cpu_percent_between(const CpuCounters& earlier, const CpuCounters& later) {
    if (later.system_ns <= earlier.system_ns || later.container_ns < earlier.container_ns)
        return std::nullopt;
    const auto cpus = later.online_cpus != 0 ? later.online_cpus : 1;
    const double container = static_cast<double>(later.container_ns - earlier.container_ns);
    const double system = static_cast<double>(later.system_ns - earlier.system_ns);
    return container / system * cpus * 100.0;
}

}  // namespace outpost::collectors::containers
