#pragma once
// One agent connection after the upgrade: reassembles frames, answers the
// session messages (hello → welcome, ping → pong, reauth, command_result →
// result_ack) and queues what goes out. Knows nothing of lws: the server
// drains next_output()/close_request() when the socket is writeable.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/common/error.hpp"
#include "auth.hpp"
#include "json_in.hpp"
#include "seal_channel.hpp"

namespace outpost::hub {

struct HubState;

struct ConnInfo {
    std::string agent_id;
    std::string user_agent;
    AuthKind auth = AuthKind::none;
    bool polled = false;  // a §7 polling period rather than a WebSocket connection
};

struct CloseRequest {
    int code = 1000;
    std::string reason;
};

struct Outgoing {
    std::string text;
    std::string type;  // empty for raw text from `send`
    std::string id;
    bool quiet = false;                // no `sent` event (the pings of `stop-reading`)
    std::optional<uint64_t> sealed_n;  // the n it went out sealed with (§8)
    std::string fault;                 // the `seal-fault` applied to it, if any
};

// `stop-reading`: the hub stops reading the agent's socket and sends
// `per_tick` pings every `every_ms` (a hostile server that keeps the
// agent's read side alive while its writes pile up).
struct ReadStop {
    int64_t every_ms = 1000;
    int64_t per_tick = 1;
};

class Session {
  public:
    // `wake` asks the transport for a writeable callback.
    Session(HubState& hub, std::string id, ConnInfo info, std::function<void()> wake);

    [[nodiscard]] const std::string& id() const { return id_; }
    [[nodiscard]] const ConnInfo& info() const { return info_; }
    [[nodiscard]] bool hello_seen() const { return hello_seen_; }
    // Whether this session seals (§8: the hub holds a key and hello.seal was accepted).
    [[nodiscard]] bool sealed() const { return seal_ != nullptr; }

    // Inbound: one chunk of a WebSocket message.
    void on_receive(std::string_view chunk, bool final, bool binary);
    // The hello deadline passed (no-op when hello arrived or the hub is silent).
    void on_hello_deadline();

    // Requests from control commands.
    void send_raw(std::string text);
    void send_typed(std::string_view type, std::string_view data_json);
    // `seal-replay`: the last sealed message again, byte for byte (same n).
    [[nodiscard]] Expected<void> replay_last_sealed();
    void close(int code, std::string reason);
    void drop();
    // nullopt: read again (and stop the pings).
    void stop_reading(std::optional<ReadStop> stop);
    // The pings of one `stop-reading` tick.
    void send_flood_pings();

    // Transport side.
    [[nodiscard]] std::optional<Outgoing> next_output();
    [[nodiscard]] bool has_output() const { return !out_.empty(); }
    // Messages taken by next_output() that never reached the agent (a poll
    // answer not written) go back in front, in their order.
    void requeue_front(std::vector<Outgoing> messages);
    [[nodiscard]] const std::optional<CloseRequest>& close_request() const { return close_; }
    [[nodiscard]] bool drop_requested() const { return drop_; }
    [[nodiscard]] const std::optional<ReadStop>& read_stop() const { return read_stop_; }
    // The transport applies a changed read_stop() once: true until then.
    [[nodiscard]] bool take_read_stop_change() { return std::exchange(read_stop_changed_, false); }

  private:
    void handle_message(std::string_view text);
    void open_sealed(std::string_view text, const std::optional<JsonDoc>& outer);
    // One message as the protocol sees it (the inner one when sealed).
    void dispatch(const JsonDoc& doc, std::string_view text, std::optional<uint64_t> sealed_n);
    // hello.seal with --seal-key: derives the session's keys; false after a refusal.
    [[nodiscard]] bool start_seal(simdjson::dom::element hello_data);
    void refuse_seal(std::string_view reason, int code);
    // Every outgoing message passes here: sealed once the session seals.
    void enqueue(Outgoing o);
    void handle_hello(const JsonDoc& doc);
    void handle_reauth(const JsonDoc& doc);
    void send_welcome();
    void reply(std::string_view type, std::string_view data_json);

    HubState& hub_;
    std::string id_;
    ConnInfo info_;
    std::function<void()> wake_;
    std::string rx_;
    bool rx_discard_ = false;  // rest of an oversized message
    bool hello_seen_ = false;
    std::deque<Outgoing> out_;
    std::optional<CloseRequest> close_;
    bool drop_ = false;
    std::optional<ReadStop> read_stop_;
    bool read_stop_changed_ = false;
    std::unique_ptr<SealChannel> seal_;
};

}  // namespace outpost::hub
