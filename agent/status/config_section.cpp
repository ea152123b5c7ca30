#include "agent/status/config_section.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "agent/protocol/rfc3339.hpp"

namespace outpost::status {
namespace {

TimePoint read_time(json::ObjectReader& r, std::string_view key) {
    const std::string text = r.string(key);
    if (r.failed()) return {};
    auto parsed = protocol::parse_rfc3339(text);
    if (!parsed) {
        r.fail(key, "not an RFC 3339 time: " + parsed.error().message());
        return {};
    }
    return *parsed;
}

std::string ago(TimePoint at, TimePoint now) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - at).count();
    return fmt::format("{} s ago", std::max<std::int64_t>(s, 0));
}

}  // namespace

void write_config_section(json::JsonWriter& w, const std::optional<ConfigInfo>& config) {
    if (!config) {
        w.key("config").null();
        return;
    }
    w.key("config").begin_object();
    w.member("path", config->path);
    w.member("loaded_at", protocol::format_rfc3339(config->loaded_at));
    if (config->last_reload) {
        w.key("last_reload").begin_object();
        w.member("at", protocol::format_rfc3339(config->last_reload->at));
        w.member("result", config->last_reload->result);
        w.member("error", config->last_reload->error);
        w.end_object();
    } else {
        w.key("last_reload").null();
    }
    w.key("restart_needed").begin_array();
    for (const std::string& key : config->restart_needed) w.string(key);
    w.end_array();
    w.end_object();
}

std::optional<ConfigInfo> read_config_section(json::ObjectReader& r) {
    auto value = r.find("config", false);
    if (!value || value->is_null()) return std::nullopt;
    auto c = r.object("config");
    if (!c) return std::nullopt;
    ConfigInfo info;
    info.path = c->string("path");
    info.loaded_at = read_time(*c, "loaded_at");
    auto reload = c->find("last_reload", false);
    if (reload && !reload->is_null()) {
        if (auto l = c->object("last_reload")) {
            info.last_reload = ReloadInfo{.at = read_time(*l, "at"),
                                          .result = l->string("result"),
                                          .error = l->string("error")};
        }
    }
    info.restart_needed = c->strings("restart_needed");
    return info;
}

void render_config_section(std::string& out, const ConfigInfo& config, TimePoint now) {
    out += fmt::format("config: {}, in force since {}\n", printable(config.path),
                       ago(config.loaded_at, now));
    if (config.last_reload) {
        const ReloadInfo& reload = *config.last_reload;
        out +=
            fmt::format("  last reload {}: {}{}\n", ago(reload.at, now), printable(reload.result),
                        reload.error.empty() ? "" : ": " + printable(reload.error));
    }
    if (!config.restart_needed.empty()) {
        std::string keys;
        for (const std::string& key : config.restart_needed) {
            keys += (keys.empty() ? "" : ", ") + printable(key);
        }
        out += fmt::format("  changed in the file, applied at the next restart: {}\n", keys);
    }
}

}  // namespace outpost::status
