#pragma once
// `metrics.textfile`: the metrics written for node_exporter's textfile
// collector every `metrics.textfile_interval`. The file is replaced
// atomically (a temp file in the same directory, mode 0644, then rename), so
// node_exporter never reads half a file.
//
// The loop only renders the text (tens of microseconds) and hands it to a
// writer thread: a slow or stalled disk delays the file, never the loop. If
// the writer is still busy when the next text comes, the newer text replaces
// the one waiting (only the latest matters); nothing queues up.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/common/error.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::metrics {

// Writes `text` to `path` atomically, mode 0644. Blocking: for the writer
// thread and tests.
[[nodiscard]] Expected<void> write_textfile(const std::string& path, std::string_view text);

class TextfilePublisher {
  public:
    using Render = std::function<std::string()>;

    // Renders and hands over at once, then every `interval`, on `loop`.
    TextfilePublisher(transport::EventLoop& loop, std::string path,
                      std::chrono::milliseconds interval, Render render);
    // Waits for a write in progress (one small file), then stops the thread.
    ~TextfilePublisher();
    TextfilePublisher(const TextfilePublisher&) = delete;
    TextfilePublisher& operator=(const TextfilePublisher&) = delete;

  private:
    void tick();
    void write_loop();

    const std::string path_;
    const std::chrono::milliseconds interval_;
    Render render_;
    transport::Timer timer_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<std::string> pending_;  // guarded by mutex_
    bool stop_ = false;                   // guarded by mutex_
    bool last_failed_ = false;            // the writer thread's only
    std::thread writer_;
};

}  // namespace outpost::metrics
