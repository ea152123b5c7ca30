#include "agent/metrics/render_cache.hpp"

namespace outpost::metrics {

RenderCache::RenderCache(Render render, std::chrono::milliseconds max_age, Clock clock)
    : render_(std::move(render)), max_age_(max_age), clock_(std::move(clock)) {}

const std::string& RenderCache::text() {
    const auto now = clock_();
    if (!rendered_at_ || now - *rendered_at_ >= max_age_ || now < *rendered_at_) {
        text_ = render_();
        rendered_at_ = now;
        ++renders_;
    }
    return text_;
}

}  // namespace outpost::metrics
