#pragma once
// The `containers` collector: name, image, state, health, restart count,
// memory and CPU of each container of the local Docker Engine (or podman's
// Docker-compatible service), read over its unix socket with the API's
// version-pinned paths:
//   GET /v1.41/containers/json?all=1                       the list
//   GET /v1.41/containers/{id}/json                        State, RestartCount
//   GET /v1.41/containers/{id}/stats?stream=false&one-shot=true   (running only)
//
// - No socket at `settings.socket`: Collected{skipped, "no Docker socket at …"}.
// - A socket that refuses, hangs or answers nonsense: an Error saying which.
// - The whole collect() ends by the request's deadline and by
//   settings.timeout after it started, whichever is first.
// - At most settings.max_containers containers, the first ones in the
//   engine's order (Docker lists the newest first); Collected::note says when
//   the list was capped.
//
// CPU %: `one-shot=true` makes Docker answer at once instead of waiting a
// second for a second reading (podman answers at once either way), so
// precpu_stats comes back empty and the collector keeps each container's
// previous reading and computes the share between its own two consecutive
// samples. When an engine does fill precpu_stats, that pair is used instead.
// Either way the first sample of a container has no cpu_percent.

#include <memory>

#include "collectors/collector.hpp"
#include "collectors/settings.hpp"

namespace outpost::collectors {

[[nodiscard]] std::unique_ptr<Collector> make_containers_collector(
    const ContainersSettings& settings);

}  // namespace outpost::collectors
