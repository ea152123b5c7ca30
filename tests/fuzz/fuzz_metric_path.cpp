// libFuzzer target for alert rule syntax (agent/alerts): arbitrary bytes as a
// metric path and as a message template. Parsing must return (no crash,
// hang or exception); an accepted path must resolve in a sample without
// failing, and a path the shape check accepts must also parse; a template
// the check accepts must render.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/alerts/message_template.hpp"
#include "agent/alerts/metric_path.hpp"
#include "agent/alerts/metric_resolve.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace outpost::alerts;
    if (auto path = parse_metric_path(text)) {
        static const auto* const sample = new auto(EncodedSample::of(reference_sample()));
        if (!*sample) std::abort();
        (void)resolve(*path, (*sample)->root());
        if (check_metric_path(text) && path->steps.empty()) std::abort();
    } else if (check_metric_path(text)) {
        std::abort();  // the shape check accepted what the parser refused
    }
    if (check_message_template(text)) {
        (void)render_message(
            text, MessageFields{
                      .rule = "r", .metric = "m", .subject = "s", .value = 1.5, .threshold = 2});
    }
    return 0;
}
