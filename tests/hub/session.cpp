#include "session.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include "bench.hpp"
#include "envelope.hpp"
#include "hub.hpp"
#include "json_in.hpp"
#include "json_out.hpp"

namespace outpost::hub {
namespace {

bool lists_protocol(simdjson::dom::element data, std::string_view wanted) {
    auto field = get_field(data, "protocols");
    simdjson::dom::array list;
    if (!field || field->get_array().get(list) != simdjson::SUCCESS) return true;  // loose
    for (auto e : list) {
        std::string_view v;
        if (e.get_string().get(v) == simdjson::SUCCESS && v == wanted) return true;
    }
    return false;
}

// The agent's static X25519 key A (§8) from its registered Ed25519 key: the
// key registered for this node id, else the only key registered for any node.
Expected<seal::Key> registered_x25519(const std::vector<AgentKey>& keys, std::string_view node_id) {
    const AgentKey* found = nullptr;
    int unscoped = 0;
    for (const auto& k : keys) {
        if (k.node_id == node_id) {
            found = &k;
            break;
        }
        if (k.node_id.empty() && ++unscoped == 1) found = &k;
    }
    if (!found || (found->node_id.empty() && unscoped > 1)) {
        return fail(fmt::format("no single registered key for node {}", node_id));
    }
    return seal::x25519_from_ed25519(found->public_key);
}

}  // namespace

Session::Session(HubState& hub, std::string id, ConnInfo info, std::function<void()> wake)
    : hub_(hub), id_(std::move(id)), info_(std::move(info)), wake_(std::move(wake)) {}

void Session::on_receive(std::string_view chunk, bool final, bool binary) {
    if (close_ || drop_) return;
    if (binary) {
        close(1003, "binary frames are not part of outpost.v1");
        return;
    }
    if (!rx_discard_) {
        if (rx_.size() + chunk.size() > static_cast<size_t>(hub_.opts.max_message_bytes)) {
            rx_.clear();
            rx_discard_ = true;
            close(1009, "message too big");
        } else {
            rx_.append(chunk);
        }
    }
    if (!final) return;
    if (rx_discard_) {
        rx_discard_ = false;
        return;
    }
    std::string text = std::move(rx_);
    rx_.clear();
    handle_message(text);
}

void Session::on_hello_deadline() {
    if (hello_seen_ || hub_.silent) return;
    close(4002, "no hello in time");
}

void Session::handle_message(std::string_view text) {
    auto doc = JsonDoc::parse(text);
    if (seal_) {
        open_sealed(text, doc);
        return;
    }
    if (!doc) {
        hub_.events.message(id_, "", "", text);
        return;
    }
    dispatch(*doc, text, std::nullopt);
}

// §8: after hello every agent message is sealed; anything else closes 1008.
void Session::open_sealed(std::string_view text, const std::optional<JsonDoc>& outer) {
    if (!outer) {
        hub_.events.message(id_, "", "", text);
        refuse_seal("unsealed", 1008);
        return;
    }
    auto opened = seal_->open(*outer);
    if (!opened) {
        hub_.events.message(id_, get_str(outer->root(), "type").value_or(""), outer->minified(),
                            text);
        refuse_seal(opened.error().message(), 1008);
        return;
    }
    auto inner = JsonDoc::parse(opened->inner);
    const auto inner_type = inner ? get_str(inner->root(), "type").value_or("") : "";
    hub_.events.sealed_opened(id_, opened->n, opened->outer_id, inner_type, text.size());
    if (!inner) {
        hub_.events.message(id_, "", "", opened->inner, opened->n);
        return;
    }
    dispatch(*inner, opened->inner, opened->n);
}

void Session::dispatch(const JsonDoc& doc, std::string_view text,
                       std::optional<uint64_t> sealed_n) {
    const auto type = get_str(doc.root(), "type").value_or("");
    hub_.events.message(id_, type, doc.minified(), text, sealed_n);
    if (hub_.silent) return;

    if (!hello_seen_) {
        if (type != "hello") {
            close(4000, "first message must be hello");
            return;
        }
        handle_hello(doc);
        return;
    }
    if (type == "hello") {
        close(4000, "hello sent twice");
    } else if (type == "ping" && hub_.auto_pong) {
        const auto ref = get_str(doc.root(), "id").value_or("");
        reply("pong", JsonObject().str("ref", ref).done());
    } else if (type == "reauth") {
        handle_reauth(doc);
    } else if (type == "command_result" && hub_.auto_ack) {
        auto data = get_field(doc.root(), "data");
        auto request_id = data ? get_str(*data, "request_id") : std::nullopt;
        if (request_id) reply("result_ack", JsonObject().str("request_id", *request_id).done());
    }
    bench_observe(hub_, *this, type, doc, text);  // bench.hpp: timed round trips
}

void Session::handle_hello(const JsonDoc& doc) {
    hello_seen_ = true;
    auto data = get_field(doc.root(), "data");
    auto node_id = data ? get_str(*data, "node_id") : std::nullopt;
    if (!node_id) {
        close(4000, "hello.data.node_id missing");
        return;
    }
    if (!info_.agent_id.empty() && *node_id != info_.agent_id) {
        close(4000, "hello.data.node_id differs from X-Agent-Id");
        return;
    }
    if (info_.agent_id.empty()) info_.agent_id = std::string(*node_id);
    if (!lists_protocol(*data, "outpost.v1")) {
        close(4004, "agent does not speak outpost.v1");
        return;
    }
    if (hub_.seal_private && !start_seal(*data)) return;
    send_welcome();  // sealed when the session seals: the first sealed message (§8)
    hub_.events.welcomed(id_, info_.agent_id, false);
}

bool Session::start_seal(simdjson::dom::element hello_data) {
    auto seal = get_field(hello_data, "seal");
    if (!seal || !seal->is_object()) {
        refuse_seal("hello without seal (this hub requires sealing)", 1008);
        return false;
    }
    auto version = get_int(*seal, "v");
    if (version != 1) {
        // §8: a seal.v the server does not know is refused with 4004.
        refuse_seal(version ? fmt::format("seal.v {} unsupported", *version) : "seal.v missing",
                    version ? 4004 : 1008);
        return false;
    }
    const auto epk_text = get_str(*seal, "epk").value_or("");
    const auto epk = seal::key_from_b64url(epk_text);
    if (!epk) {
        refuse_seal("hello.seal.epk is not 32 bytes of base64url", 1008);
        return false;
    }
    auto agent_key = registered_x25519(hub_.auth.agent_keys(), info_.agent_id);
    if (!agent_key) {
        refuse_seal(agent_key.error().message(), 1008);
        return false;
    }
    auto schedule = seal::derive(*hub_.seal_private, hub_.seal_public, *agent_key, *epk);
    if (!schedule) {
        refuse_seal(schedule.error().message(), 1008);
        return false;
    }
    seal_ = std::make_unique<SealChannel>(*schedule);
    sodium_memzero(&*schedule, sizeof(seal::Schedule));
    hub_.events.seal_started(id_, 1, epk_text);
    return true;
}

void Session::refuse_seal(std::string_view reason, int code) {
    hub_.events.seal_refused(id_, reason, code);
    std::string why = fmt::format("seal: {}", reason);
    if (why.size() > 123) why.resize(123);  // a close reason's limit
    close(code, std::move(why));
}

void Session::handle_reauth(const JsonDoc& doc) {
    auto data = get_field(doc.root(), "data");
    auto token = data ? get_str(*data, "token") : std::nullopt;
    auto ok = hub_.auth.check_bearer(token.value_or(""), info_.agent_id, unix_now());
    if (!ok) {
        hub_.events.error(
            fmt::format("session {}: reauth rejected: {}", id_, ok.error().message()));
        close(4001, "token rejected");
        return;
    }
    info_.auth = ok->kind;
    send_welcome();
    hub_.events.welcomed(id_, info_.agent_id, true);
}

void Session::send_welcome() {
    JsonObject data;
    data.str("protocol", "outpost.v1")
        .str("session_id", id_)
        .str("server_time", rfc3339_now())
        .num("heartbeat_s", hub_.opts.heartbeat_s);
    if (hub_.opts.telemetry_s) data.num("telemetry_s", *hub_.opts.telemetry_s);
    if (hub_.opts.reconnect_spread_s) {
        data.num("reconnect_spread_s", *hub_.opts.reconnect_spread_s);
    }
    reply("welcome", data.done());
}

void Session::reply(std::string_view type, std::string_view data_json) {
    send_typed(type, data_json);
}

void Session::send_raw(std::string text) {
    if (close_ || drop_) return;
    Outgoing o{
        .text = std::move(text), .type = {}, .id = {}, .quiet = false, .sealed_n = {}, .fault = {}};
    if (auto doc = JsonDoc::parse(o.text)) {
        o.type = std::string(get_str(doc->root(), "type").value_or(""));
        o.id = std::string(get_str(doc->root(), "id").value_or(""));
    }
    enqueue(std::move(o));
}

void Session::send_typed(std::string_view type, std::string_view data_json) {
    if (close_ || drop_) return;
    auto env = make_envelope(type, data_json);
    enqueue(Outgoing{.text = std::move(env.text),
                     .type = std::string(type),
                     .id = env.id,
                     .quiet = false,
                     .sealed_n = {},
                     .fault = {}});
}

// Sealing happens here, in queue order, so n grows in the order frames are
// written. `type`/`id` stay the inner message's: events and tests match on those.
void Session::enqueue(Outgoing o) {
    if (seal_) {
        const auto fault = std::exchange(hub_.seal_fault, std::nullopt);
        if (fault) o.fault = std::string(to_string(*fault));
        if (fault != SealFault::unsealed) {
            auto sealed = seal_->seal(o.text, fault);
            o.text = std::move(sealed.text);
            o.sealed_n = sealed.n;
        }
    }
    out_.push_back(std::move(o));
    wake_();
}

Expected<void> Session::replay_last_sealed() {
    if (!seal_) return fail("this session does not seal");
    if (seal_->last_sent().empty()) return fail("nothing sealed sent yet");
    if (close_ || drop_) return fail("session closing");
    out_.push_back(Outgoing{.text = seal_->last_sent(),
                            .type = "sealed",
                            .id = {},
                            .quiet = false,
                            .sealed_n = {},
                            .fault = "replay"});
    wake_();
    return {};
}

void Session::close(int code, std::string reason) {
    if (close_ || drop_) return;
    close_ = CloseRequest{.code = code, .reason = std::move(reason)};
    wake_();
}

void Session::drop() {
    drop_ = true;
    wake_();
}

void Session::stop_reading(std::optional<ReadStop> stop) {
    read_stop_ = stop;
    read_stop_changed_ = true;
    wake_();
}

void Session::send_flood_pings() {
    if (close_ || drop_ || !read_stop_) return;
    for (int64_t i = 0; i < read_stop_->per_tick; ++i) {
        auto env = make_envelope("ping", "{}");
        enqueue(Outgoing{.text = std::move(env.text),
                         .type = "ping",
                         .id = env.id,
                         .quiet = true,
                         .sealed_n = {},
                         .fault = {}});
    }
}

void Session::requeue_front(std::vector<Outgoing> messages) {
    out_.insert(out_.begin(), std::make_move_iterator(messages.begin()),
                std::make_move_iterator(messages.end()));
}

std::optional<Outgoing> Session::next_output() {
    if (out_.empty()) return std::nullopt;
    Outgoing o = std::move(out_.front());
    out_.pop_front();
    return o;
}

}  // namespace outpost::hub
