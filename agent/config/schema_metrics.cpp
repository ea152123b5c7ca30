// The `metrics` section (docs/metrics.md): where the agent publishes its
// Prometheus metrics besides `outpost metrics` on the status socket.
// `listen` takes a loopback address only: the endpoint has no TLS and no
// authentication, so it must not be reachable from the network.

#include <charconv>
#include <chrono>

#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;

// `127.0.0.1:PORT` or `[::1]:PORT`, PORT 1..65535; nothing else.
Converter<std::string> loopback_address() {
    return {"address", "127.0.0.1:PORT or [::1]:PORT",
            "a loopback address with a port (127.0.0.1:9464 or [::1]:9464)",
            [](std::string_view text) -> Expected<std::string> {
                std::string_view port;
                if (text.starts_with("127.0.0.1:")) {
                    port = text.substr(10);
                } else if (text.starts_with("[::1]:")) {
                    port = text.substr(6);
                } else {
                    return fail(
                        "only a loopback address (127.0.0.1 or [::1]) is allowed: the endpoint "
                        "has no TLS and no authentication");
                }
                unsigned value = 0;
                const auto* end = port.data() + port.size();
                const auto [stop, error] = std::from_chars(port.data(), end, value);
                if (port.empty() || error != std::errc{} || stop != end || value == 0 ||
                    value > 65535) {
                    return fail("the port must be 1..65535");
                }
                return std::string(text);
            }};
}

}  // namespace

std::vector<Field<MetricsConfig>> metrics_table() {
    using M = MetricsConfig;
    return {
        key("textfile", &M::textfile, absolute_path(),
            optional("/var/lib/prometheus/node-exporter/outpost.prom"),
            "File the metrics are written to for node_exporter's textfile collector (replaced "
            "atomically, mode 0644). Its name must end in .prom for node_exporter."),
        key("textfile_interval", &M::textfile_interval, duration_in(1s, 1h), defaults_to("15s"),
            "How often metrics.textfile is rewritten."),
        key("listen", &M::listen, loopback_address(), optional("127.0.0.1:9464"),
            "Serve GET /metrics over HTTP on this loopback address (no TLS, no "
            "authentication: loopback only)."),
    };
}

}  // namespace outpost::config
