#include "agent/metrics/textfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include "agent/log/log.hpp"

namespace outpost::metrics {
namespace {

constexpr std::string_view kLog = "metrics";

std::string errno_text() {
    return std::strerror(errno);
}

}  // namespace

Expected<void> write_textfile(const std::string& path, std::string_view text) {
    // node_exporter reads only `*.prom`: the temp name must not end so, or a
    // scrape could read it half written. Same directory: rename is atomic.
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    std::string temp = dir + "/.outpost-metrics.XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return fail(ErrorKind::io, "metrics.textfile: " + temp + ": " + errno_text());
    // mkstemp makes it 0600: the collector runs as another user.
    bool ok = ::fchmod(fd, 0644) == 0;
    std::size_t written = 0;
    while (ok && written < text.size()) {
        ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        if (n > 0) written += static_cast<std::size_t>(n);
    }
    const std::string why = ok ? "" : errno_text();
    if (::close(fd) != 0 && ok) {
        const std::string close_error = errno_text();
        ::unlink(temp.c_str());
        return fail(ErrorKind::io, "metrics.textfile: " + close_error);
    }
    if (!ok) {
        ::unlink(temp.c_str());
        return fail(ErrorKind::io, "metrics.textfile: writing " + temp + ": " + why);
    }
    // No fsync: the file is rewritten every interval, and a reader after a
    // crash gets the next one; an fsync per interval would wake the disk.
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string rename_error = errno_text();
        ::unlink(temp.c_str());
        return fail(ErrorKind::io, "metrics.textfile: rename to " + path + ": " + rename_error);
    }
    return {};
}

struct TextfilePublisher::Shared {
    std::mutex mutex;
    std::condition_variable wake;    // the writer waits on it for a text or stop
    std::condition_variable exited;  // the destructor waits on it
    std::optional<std::string> pending;
    // The outcome of the last write, for the loop to log; empty once taken.
    std::optional<Expected<void>> outcome;
    bool stop = false;
    bool done = false;  // the writer thread has left its loop
};

namespace {

void write_loop(std::shared_ptr<TextfilePublisher::Shared> shared, std::string path,
                TextfilePublisher::Write write) {
    for (;;) {
        std::string text;
        {
            std::unique_lock lock(shared->mutex);
            shared->wake.wait(lock, [&] { return shared->stop || shared->pending.has_value(); });
            if (shared->stop) break;
            text = std::move(*shared->pending);
            shared->pending.reset();
        }
        auto written = write(path, text);
        std::lock_guard lock(shared->mutex);
        shared->outcome = std::move(written);
    }
    std::lock_guard lock(shared->mutex);
    shared->done = true;
    shared->exited.notify_all();
}

}  // namespace

TextfilePublisher::TextfilePublisher(transport::EventLoop& loop, std::string path,
                                     std::chrono::milliseconds interval, Render render, Write write)
    : path_(std::move(path)),
      interval_(interval),
      render_(std::move(render)),
      timer_(loop),
      shared_(std::make_shared<Shared>()),
      writer_(write_loop, shared_, path_, std::move(write)) {
    timer_.schedule(std::chrono::microseconds(0), [this] { tick(); });
}

TextfilePublisher::~TextfilePublisher() {
    timer_.cancel();
    std::unique_lock lock(shared_->mutex);
    shared_->stop = true;
    shared_->wake.notify_one();
    const bool done =
        shared_->exited.wait_for(lock, kWriterStopWait, [this] { return shared_->done; });
    lock.unlock();
    if (done) {
        writer_.join();
        return;
    }
    // Stuck in a write (a stalled disk): the thread owns its state, path and
    // write function, and ends when the write returns.
    log::warn(kLog, "metrics.textfile: {} still being written after {} ms; not waiting", path_,
              kWriterStopWait.count());
    writer_.detach();
}

void TextfilePublisher::tick() {
    log_outcome();
    std::string text = render_();
    {
        std::lock_guard lock(shared_->mutex);
        shared_->pending = std::move(text);  // a text the writer has not taken yet is stale now
    }
    shared_->wake.notify_one();
    timer_.schedule(interval_, [this] { tick(); });
}

// Logged when writing starts and stops failing, not every interval.
void TextfilePublisher::log_outcome() {
    std::optional<Expected<void>> outcome;
    {
        std::lock_guard lock(shared_->mutex);
        outcome.swap(shared_->outcome);
    }
    if (!outcome) return;
    const bool failed = !outcome->has_value();
    if (failed && !last_failed_) log::error(kLog, "{}", outcome->error().message());
    if (!failed && last_failed_) log::info(kLog, "metrics.textfile: {} written again", path_);
    last_failed_ = failed;
}

}  // namespace outpost::metrics
