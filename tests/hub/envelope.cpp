#include "envelope.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <chrono>
#include <ctime>

#include "json_out.hpp"

namespace outpost::hub {

std::string new_uuid() {
    std::array<uint8_t, 16> b{};
    randombytes_buf(b.data(), b.size());
    b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
    std::string out;
    for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += fmt::format("{:02x}", b[i]);
    }
    return out;
}

std::string rfc3339_now() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

Envelope make_envelope(std::string_view type, std::string_view data_json) {
    Envelope e{.id = new_uuid(), .text = {}};
    e.text = JsonObject()
                 .str("type", type)
                 .str("id", e.id)
                 .str("ts", rfc3339_now())
                 .raw("data", data_json)
                 .done();
    return e;
}

}  // namespace outpost::hub
