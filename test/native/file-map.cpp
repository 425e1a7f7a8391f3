// Drives rl::FileMap (native/file_map.cpp, the addon's compiled object) through real truncations: reads of a mapped
// model file's pages after the file shrank must give zeros and raise the map's flag instead of killing the process,
// and SIGBUS from any other mapping must still end the process as it would without the handler. Prints one line per
// case: "<name>\t<value>". argv[1]: a scratch folder.
#include "file_map.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

static std::string g_dir;

// A file of `pages` pages, each filled with its index + 1; returns an open read-only descriptor.
static int make_file(const std::string & name, int pages) {
    const std::string path = g_dir + "/" + name;
    const long page = sysconf(_SC_PAGESIZE);
    FILE * f = std::fopen(path.c_str(), "wb");
    for (int p = 0; p < pages; p++) {
        std::vector<unsigned char> bytes((size_t) page, (unsigned char) (p + 1));
        std::fwrite(bytes.data(), 1, bytes.size(), f);
    }
    std::fclose(f);
    return open(path.c_str(), O_RDONLY);
}

static void shrink(const std::string & name, int pages) { truncate((g_dir + "/" + name).c_str(), pages * sysconf(_SC_PAGESIZE)); }

// Sum of the bytes of one page, read through a volatile pointer so that every byte is really loaded.
static long page_sum(const void * base, int p) {
    const long page = sysconf(_SC_PAGESIZE);
    const volatile unsigned char * b = (const volatile unsigned char *) base + p * page;
    long s = 0;
    for (long i = 0; i < page; i++) s += b[i];
    return s;
}

// How a child that reads page 2 of a 3-page mapping, after the file shrank to one page, ends: "exit N" (0: the page
// read as zeros) or "signal N".
template <class Map> static std::string child_reading_past_end(Map map) {
    const pid_t pid = fork();
    if (pid == 0) {
        const void * base = map();
        _exit(page_sum(base, 2) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status)) : "exit " + std::to_string(WEXITSTATUS(status));
}

int main(int argc, char ** argv) {
    g_dir = argv[1];
    const long page = sysconf(_SC_PAGESIZE);

    {
        rl::FileMap map(make_file("intact", 3), 3 * page, "intact");
        std::printf("intact-sums\t%ld %ld %ld\n", page_sum(map.data(), 0), page_sum(map.data(), 1), page_sum(map.data(), 2));
        std::printf("intact-faulted\t%d\n", (int) map.faulted());
    }
    {
        rl::FileMap map(make_file("shrunk", 3), 3 * page, "shrunk");
        shrink("shrunk", 1);
        // page 0 is still the file's; pages 1 and 2 are past its end now
        std::printf("shrunk-sums\t%ld %ld %ld\n", page_sum(map.data(), 0), page_sum(map.data(), 1), page_sum(map.data(), 2));
        std::printf("shrunk-faulted\t%d\n", (int) map.faulted());
    }
    // A mapping of its own while a FileMap is alive, and one after every FileMap is gone: SIGBUS as without the handler.
    rl::FileMap alive(make_file("alive", 1), page, "alive");
    std::printf("foreign-while-mapped\t%s\n", child_reading_past_end([] {
        void * m = mmap(nullptr, 3 * sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, make_file("foreign1", 3), 0);
        shrink("foreign1", 1);
        return m;
    }).c_str());
    std::printf("foreign-faulted\t%d\n", (int) alive.faulted());
    std::printf("filemap-in-child\t%s\n", child_reading_past_end([] {
        static rl::FileMap * m = new rl::FileMap(make_file("child", 3), 3 * sysconf(_SC_PAGESIZE), "child");
        shrink("child", 1);
        return m->data();
    }).c_str());
    return 0;
}
