#include "seal_channel.hpp"

#include <sodium.h>

#include "b64.hpp"
#include "envelope.hpp"
#include "json_in.hpp"
#include "json_out.hpp"

namespace outpost::hub {
namespace {

std::string outer_text(std::string_view id, uint64_t n, std::string_view c) {
    const std::string data = JsonObject()
                                 .raw("n", std::to_string(n))  // uint64: num() is int64
                                 .str("c", c)
                                 .done();
    return JsonObject()
        .str("type", "sealed")
        .str("id", id)
        .str("ts", rfc3339_now())
        .raw("data", data)
        .done();
}

}  // namespace

std::string_view to_string(SealFault fault) {
    switch (fault) {
        case SealFault::unsealed:
            return "unsealed";
        case SealFault::reuse_n:
            return "reuse-n";
        case SealFault::tamper:
            return "tamper";
        case SealFault::wrong_id:
            return "wrong-id";
    }
    return "?";
}

std::optional<SealFault> seal_fault_from(std::string_view word) {
    for (auto f :
         {SealFault::unsealed, SealFault::reuse_n, SealFault::tamper, SealFault::wrong_id}) {
        if (word == to_string(f)) return f;
    }
    return std::nullopt;
}

SealChannel::SealChannel(const seal::Schedule& schedule)
    : tx_(schedule.server_to_agent()), rx_(schedule.agent_to_server()) {}

SealChannel::~SealChannel() {
    sodium_memzero(tx_.data(), tx_.size());
    sodium_memzero(rx_.data(), rx_.size());
}

SealedOut SealChannel::seal(std::string_view inner, std::optional<SealFault> fault) {
    SealedOut out;
    out.outer_id = new_uuid();
    // reuse-n: the counter of the previous message again (0 if there was none).
    out.n = fault == SealFault::reuse_n && next_n_ > 0 ? next_n_ - 1 : next_n_;
    if (out.n == next_n_) ++next_n_;
    auto c = seal::encrypt(tx_, out.n, out.outer_id, inner);
    if (fault == SealFault::tamper) c[c.size() / 2] ^= 0x01;
    if (fault == SealFault::wrong_id) out.outer_id = new_uuid();
    out.text = outer_text(out.outer_id, out.n, b64url_encode(c));
    last_sent_ = out.text;
    return out;
}

Expected<Opened> SealChannel::open(const JsonDoc& outer) {
    const auto root = outer.root();
    if (get_str(root, "type").value_or("") != "sealed") return fail("unsealed");
    auto id = get_str(root, "id");
    auto data = get_field(root, "data");
    auto c = data ? get_str(*data, "c") : std::nullopt;
    auto n_field = data ? get_field(*data, "n") : std::nullopt;
    uint64_t n = 0;
    if (!id || !c || !n_field || n_field->get_uint64().get(n) != simdjson::SUCCESS) {
        return fail("malformed");
    }
    if (last_rx_n_ && n <= *last_rx_n_) return fail("replay");
    auto bytes = seal::b64url_decode_lenient(*c);
    if (!bytes) return fail("malformed");
    auto inner = seal::decrypt(rx_, n, *id, *bytes);
    if (!inner) return fail("open_failed");
    // Accepted only once it opened: a forged n must not move the counter.
    last_rx_n_ = n;
    if (auto doc = JsonDoc::parse(*inner);
        doc && get_str(doc->root(), "type").value_or("") == "sealed") {
        return fail("inner_sealed");
    }
    return Opened{.inner = std::move(*inner), .outer_id = std::string(*id), .n = n};
}

}  // namespace outpost::hub
