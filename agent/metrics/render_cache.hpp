#pragma once
// One render of the metrics shared by every request within `max_age`: the
// render runs on the loop (SQLite counts, statvfs, /proc), and `/metrics` is
// open to every local user, so a client in a loop must not make the agent
// render per request. At most one render per max_age, however many ask; an
// answer is then at most max_age old, well inside a 15 s scrape.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace outpost::metrics {

inline constexpr std::chrono::milliseconds kRenderMaxAge{1000};

class RenderCache {
  public:
    using Render = std::function<std::string()>;
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    explicit RenderCache(
        Render render, std::chrono::milliseconds max_age = kRenderMaxAge,
        Clock clock = [] { return std::chrono::steady_clock::now(); });

    // The text rendered less than max_age ago, else a fresh render.
    [[nodiscard]] const std::string& text();
    // How many times the render ran (for tests and the docs' figures).
    [[nodiscard]] std::uint64_t renders() const { return renders_; }

  private:
    Render render_;
    std::chrono::milliseconds max_age_;
    Clock clock_;
    std::optional<std::chrono::steady_clock::time_point> rendered_at_;
    std::string text_;
    std::uint64_t renders_ = 0;
};

}  // namespace outpost::metrics
