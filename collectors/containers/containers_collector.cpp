#include "collectors/containers/containers_collector.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "collectors/containers/docker_json.hpp"
#include "collectors/containers/unix_http_client.hpp"

namespace outpost::collectors {
namespace {

using containers::CpuCounters;
using protocol::outbound::ContainerStats;
using Clock = std::chrono::steady_clock;

constexpr std::string_view api_prefix = "/v1.41";
// Containers whose answers failed that a note names one by one.
constexpr std::size_t kNamedFailures = 3;

// An answer's body shown in an error, cut short: enough to recognise the
// engine's message ({"message":"no such container"}), never megabytes, and
// plain ASCII (a cut could split a UTF-8 sequence; the peer's bytes may be
// anything).
std::string excerpt(std::string_view body) {
    constexpr std::size_t limit = 200;
    std::string text(body.substr(0, limit));
    std::replace_if(
        text.begin(), text.end(),
        [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f;
        },
        '?');
    return body.size() > limit ? text + "..." : text;
}

// The notes of one collect as one Collected::note.
std::string joined(const std::vector<std::string>& notes) {
    std::string out;
    for (const auto& note : notes) {
        if (!out.empty()) out += "; ";
        out += note;
    }
    return out;
}

class ContainersCollector final : public Collector {
  public:
    explicit ContainersCollector(ContainersSettings settings) : settings_(std::move(settings)) {}

    [[nodiscard]] std::string_view name() const override { return "containers"; }

    [[nodiscard]] Expected<Collected> collect(const CollectRequest& request,
                                              protocol::outbound::Telemetry& sample) override {
        sample.containers.clear();
        struct stat info {};
        if (::stat(settings_.socket.c_str(), &info) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                return Collected{true, "no Docker socket at " + settings_.socket, {}};
            return fail(ErrorKind::io, "stat " + settings_.socket + ": " + std::strerror(errno));
        }
        if (!S_ISSOCK(info.st_mode))
            return fail(ErrorKind::invalid_input, settings_.socket + " is not a socket");
        deadline_ = std::min(request.deadline, request.now + settings_.timeout);

        auto listed = list_containers();
        if (!listed) return std::unexpected(listed.error());
        std::vector<std::string> notes = std::move(listed->left_out);
        auto& entries = listed->containers;
        if (entries.size() > settings_.max_containers) {
            notes.push_back("listed " + std::to_string(settings_.max_containers) + " of " +
                            std::to_string(entries.size()) +
                            " containers (collectors.containers.max_containers)");
            entries.resize(settings_.max_containers);
        }
        std::map<std::string, CpuCounters> readings;
        std::vector<ContainerStats> containers;
        std::size_t failed = 0;
        for (const auto& entry : entries) {
            auto stats = read_container(entry, readings);
            if (!stats) {
                // One container's broken answer costs that container, not
                // the others (the list itself worked). The first few are
                // named; a daemon that hangs on every one is counted.
                if (++failed <= kNamedFailures)
                    notes.push_back("container " + entry.name +
                                    " left out: " + stats.error().message());
                continue;
            }
            if (*stats) containers.push_back(std::move(**stats));
        }
        if (failed > kNamedFailures)
            notes.push_back(std::to_string(failed - kNamedFailures) +
                            " more container(s) left out: their answers failed too");
        Collected collected;
        collected.note = joined(notes);
        // Only the containers seen now are kept, so the map never grows with
        // containers long removed.
        previous_ = std::move(readings);
        sample.containers = std::move(containers);
        return collected;
    }

  private:
    // The answer to GET `path`, whatever its status; transport and HTTP
    // errors (a hang, nonsense, a close mid-body) are Errors.
    Expected<containers::HttpResponse> get_response(const std::string& path) {
        const std::string target = std::string(api_prefix) + path;
        containers::UnixHttpRequest http{settings_.socket, target, deadline_};
        auto response = containers::unix_http_get(http);
        if (!response) return std::unexpected(response.error().context("GET " + target));
        return response;
    }

    // The body of a 200 answer to GET `path`; nullopt for a 404 when
    // `missing_ok` (a container removed between the list and this request).
    Expected<std::optional<std::string>> get(const std::string& path, bool missing_ok = false) {
        auto response = get_response(path);
        if (!response) return std::unexpected(response.error());
        const int status = response->head.status;
        if (status == 404 && missing_ok) return std::nullopt;
        if (status != 200) {
            return fail(ErrorKind::io, "GET " + std::string(api_prefix) + path + ": HTTP " +
                                           std::to_string(status) + " " + excerpt(response->body));
        }
        return std::move(response->body);
    }

    Expected<containers::ContainerList> list_containers() {
        auto body = get("/containers/json?all=1");
        if (!body) return std::unexpected(body.error());
        return containers::parse_container_list(**body);
    }

    // One container's facts; nullopt when it went away meanwhile.
    Expected<std::optional<ContainerStats>> read_container(
        const containers::ListedContainer& entry, std::map<std::string, CpuCounters>& readings) {
        ContainerStats stats;
        stats.id = entry.id;
        stats.name = entry.name;
        stats.image = entry.image;
        auto inspected_body = get("/containers/" + entry.id + "/json", true);
        if (!inspected_body) return std::unexpected(inspected_body.error());
        if (!*inspected_body) return std::nullopt;
        auto inspected = containers::parse_container_inspect(**inspected_body);
        if (!inspected) return std::unexpected(inspected.error());
        // The inspect answer is newer than the list's state.
        stats.state = inspected->state;
        stats.health = inspected->health;
        stats.restarts = inspected->restart_count;
        if (stats.state == "running") {
            if (auto usage = read_usage(entry, stats, readings); !usage) {
                return std::unexpected(usage.error());
            }
        }
        return stats;
    }

    // Memory and CPU of a running container. A container that stopped or
    // went away since its inspect (a restart loop does that all the time)
    // just has none now: podman then answers 200 with an empty body, or 500
    // when its cgroup went away mid-read; Docker 404 or 409. So any HTTP
    // status but 200 means "no usage this time"; only a broken answer (no
    // HTTP, a hang, a body that is not stats JSON) is an Error, which leaves
    // this container out of the sample (collect()'s note says why).
    Expected<void> read_usage(const containers::ListedContainer& entry, ContainerStats& stats,
                              std::map<std::string, CpuCounters>& readings) {
        auto response =
            get_response("/containers/" + entry.id + "/stats?stream=false&one-shot=true");
        if (!response) return std::unexpected(response.error());
        if (response->head.status != 200) return {};
        auto reading = containers::parse_container_stats(response->body);
        if (!reading) return std::unexpected(reading.error());
        stats.memory_bytes = reading->memory_bytes;
        if (!reading->cpu) return {};
        if (reading->precpu) {
            stats.cpu_percent = containers::cpu_percent_between(*reading->precpu, *reading->cpu);
        } else if (const auto previous = previous_.find(entry.id); previous != previous_.end()) {
            stats.cpu_percent = containers::cpu_percent_between(previous->second, *reading->cpu);
        }
        readings[entry.id] = *reading->cpu;
        return {};
    }

    ContainersSettings settings_;
    Clock::time_point deadline_;
    std::map<std::string, CpuCounters> previous_;  // by container id
};

}  // namespace

std::unique_ptr<Collector> make_containers_collector(const ContainersSettings& settings) {
    return std::make_unique<ContainersCollector>(settings);
}

}  // namespace outpost::collectors
