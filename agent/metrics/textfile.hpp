#pragma once
// `metrics.textfile`: the metrics written for node_exporter's textfile
// collector every `metrics.textfile_interval`. The file is replaced
// atomically (a temp file in the same directory, mode 0644, then rename), so
// node_exporter never reads half a file.
//
// The loop only renders the text (tens of microseconds) and hands it to a
// writer thread: a slow or stalled disk delays the file, never the loop. If
// the writer is still busy when the next text comes, the newer text replaces
// the one waiting (only the latest matters); nothing queues up. The writer
// hands each outcome back; the loop logs it at its next tick.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "agent/common/error.hpp"
#include "agent/transport/event_loop.hpp"
#include "agent/transport/timer.hpp"

namespace outpost::metrics {

// Writes `text` to `path` atomically, mode 0644. Blocking: for the writer
// thread and tests. The temp file is made with mkstemp in the same directory
// (O_EXCL, a random name): a name planted in advance, a hard link to another
// file, is never opened.
[[nodiscard]] Expected<void> write_textfile(const std::string& path, std::string_view text);

// How long the destructor waits for a write in progress before it leaves the
// writer thread behind (detached, owning all it touches): a stalled textfile
// directory (a dead NFS mount) costs a stop at most this.
inline constexpr std::chrono::milliseconds kWriterStopWait{1000};

class TextfilePublisher {
  public:
    using Render = std::function<std::string()>;
    using Write = std::function<Expected<void>(const std::string& path, std::string_view text)>;

    // Renders and hands over at once, then every `interval`, on `loop`.
    // `write` is write_textfile but in tests.
    TextfilePublisher(transport::EventLoop& loop, std::string path,
                      std::chrono::milliseconds interval, Render render,
                      Write write = write_textfile);
    // Waits up to kWriterStopWait for a write in progress, then stops the
    // thread, or detaches it if it is still stuck in the write.
    ~TextfilePublisher();
    TextfilePublisher(const TextfilePublisher&) = delete;
    TextfilePublisher& operator=(const TextfilePublisher&) = delete;

    // The shared state of the loop and the writer thread; the thread holds
    // it too, so it outlives a publisher that left the thread behind.
    struct Shared;

  private:
    void tick();
    void log_outcome();

    const std::string path_;
    const std::chrono::milliseconds interval_;
    Render render_;
    transport::Timer timer_;
    std::shared_ptr<Shared> shared_;
    // The loop's: the last outcome it logged. The writer thread never logs:
    // the log settings change on the loop (a reload), unsynchronised.
    bool last_failed_ = false;
    std::thread writer_;
};

}  // namespace outpost::metrics
