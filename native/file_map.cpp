#include "file_map.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "errors.h"

namespace rl {
namespace {

// The live maps, read by the signal handler without locks: a slot is published by storing `end` last and retired by
// clearing `end` first, so the handler never matches a half-written range.
struct Slot {
    std::atomic<uintptr_t> begin{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<bool> faulted{false};
};
constexpr int kSlots = 256;
Slot g_slots[kSlots];
std::mutex g_slots_mutex;  // serializes claiming and releasing slots (not the handler)
struct sigaction g_previous {};
bool g_installed = false;
uintptr_t g_page = 0;  // the page size, read before the handler is installed (sysconf is not async-signal-safe)

void on_sigbus(int sig, siginfo_t * info, void * context) {
    const uintptr_t addr = (uintptr_t) info->si_addr;
    for (Slot & s : g_slots) {
        const uintptr_t end = s.end.load(std::memory_order_acquire);
        if (end == 0 || addr < s.begin.load(std::memory_order_relaxed) || addr >= end) continue;
        // Put a page of zeros where the file's page was, so that the faulting read succeeds when it is retried.
        // mmap is a plain system call on Linux, safe here although POSIX does not list it as async-signal-safe.
        const uintptr_t page = addr & ~(g_page - 1);
        if (mmap((void *) page, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            s.faulted.store(true, std::memory_order_release);
            return;
        }
        break;
    }
    // Not ours (or no page to put there): what would have happened without this handler.
    if (g_previous.sa_flags & SA_SIGINFO) {
        g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    } else {
        signal(SIGBUS, SIG_DFL);  // returning re-executes the faulting access, which now terminates the process
    }
}

int claim_slot(uintptr_t begin, uintptr_t end) {
    std::lock_guard<std::mutex> lock(g_slots_mutex);
    if (!g_installed) {
        g_page = (uintptr_t) sysconf(_SC_PAGESIZE);
        struct sigaction sa {};
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, &g_previous) != 0) fail(E_NATIVE, std::string("cannot install the SIGBUS handler: ") + std::strerror(errno));
        g_installed = true;
    }
    for (int i = 0; i < kSlots; i++) {
        if (g_slots[i].end.load(std::memory_order_relaxed) != 0) continue;
        g_slots[i].faulted.store(false, std::memory_order_relaxed);
        g_slots[i].begin.store(begin, std::memory_order_relaxed);
        g_slots[i].end.store(end, std::memory_order_release);
        return i;
    }
    fail(E_NATIVE, "more than " + std::to_string(kSlots) + " model files mapped for training at once");
}

}  // namespace

FileMap::FileMap(int fd, size_t size, const std::string & path) : fd_(fd), data_(nullptr), size_(size), slot_(-1) {
    data_ = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (data_ == MAP_FAILED) {
        const int err = errno;
        close(fd);
        fail(E_BAD_FILE, "cannot map model file " + path + " for training: " + std::strerror(err));
    }
    try {
        slot_ = claim_slot((uintptr_t) data_, (uintptr_t) data_ + size);
    } catch (...) {
        munmap(data_, size);
        close(fd);
        throw;
    }
}

FileMap::~FileMap() {
    {
        std::lock_guard<std::mutex> lock(g_slots_mutex);
        g_slots[slot_].end.store(0, std::memory_order_release);
    }
    munmap(data_, size_);
    close(fd_);
}

bool FileMap::faulted() const { return g_slots[slot_].faulted.load(std::memory_order_acquire); }

}  // namespace rl
