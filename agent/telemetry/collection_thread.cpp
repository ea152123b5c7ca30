#include "agent/telemetry/collection_thread.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "agent/log/log.hpp"

namespace outpost::telemetry {

namespace {
constexpr std::string_view kLog = "telemetry";
}  // namespace

struct CollectionThread::Shared {
    explicit Shared(int fd) : ready_fd(fd) {}
    ~Shared() { ::close(ready_fd); }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;

    const int ready_fd;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Job> jobs;
    std::deque<Continuation> done;
    bool stopping = false;
    bool exited = false;
    std::thread thread;

    void work() {
        std::unique_lock lock(mutex);
        for (;;) {
            changed.wait(lock, [&] { return stopping || !jobs.empty(); });
            if (stopping) break;
            Job job = std::move(jobs.front());
            jobs.pop_front();
            lock.unlock();
            Continuation next = job();
            lock.lock();
            if (stopping) break;  // nobody delivers any more
            done.push_back(std::move(next));
            const std::uint64_t one = 1;
            // An eventfd write of 1 fails only when the counter would
            // overflow, which one write per job never reaches.
            [[maybe_unused]] const auto n = ::write(ready_fd, &one, sizeof one);
        }
        exited = true;
        changed.notify_all();
    }
};

Expected<std::unique_ptr<CollectionThread>> CollectionThread::start() {
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) {
        return fail(ErrorKind::io, std::string("eventfd: ") + std::strerror(errno));
    }
    auto shared = std::make_shared<Shared>(fd);
    try {
        // The thread holds the shared state too: see the header, "Stopping".
        shared->thread = std::thread([state = shared] { state->work(); });
    } catch (const std::system_error& e) {
        return fail(ErrorKind::unavailable,
                    std::string("cannot start the collection thread: ") + e.what());
    }
    return std::unique_ptr<CollectionThread>(new CollectionThread(std::move(shared)));
}

CollectionThread::CollectionThread(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

CollectionThread::~CollectionThread() {
    std::unique_lock lock(shared_->mutex);
    shared_->stopping = true;
    shared_->jobs.clear();
    shared_->changed.notify_all();
    const bool exited =
        shared_->changed.wait_for(lock, kJoinLimit, [&] { return shared_->exited; });
    lock.unlock();
    if (exited) {
        shared_->thread.join();
        return;
    }
    log::error(kLog,
               "a collector did not return within {} s of its deadline; leaving the collection "
               "thread behind",
               kJoinLimit.count());
    shared_->thread.detach();
}

int CollectionThread::ready_fd() const {
    return shared_->ready_fd;
}

void CollectionThread::submit(Job job) {
    {
        std::lock_guard lock(shared_->mutex);
        shared_->jobs.push_back(std::move(job));
    }
    ++pending_;
    shared_->changed.notify_all();
}

void CollectionThread::deliver() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(shared_->ready_fd, &count, sizeof count);
    std::deque<Continuation> ready;
    {
        std::lock_guard lock(shared_->mutex);
        ready.swap(shared_->done);
    }
    for (Continuation& next : ready) {
        --pending_;
        if (next) next();
    }
}

}  // namespace outpost::telemetry
