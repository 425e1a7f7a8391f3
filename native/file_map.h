#pragma once
// A read-only mapping of a file whose pages fault softly. Reading a mapped page past the end of a file that was
// truncated after mapping raises SIGBUS, which would kill the whole Node process in the middle of a backward pass
// (its dx = Wᵀ·dy reads weights straight from the model file). While a FileMap lives, a process-wide SIGBUS handler
// turns such a fault inside it into a page of zeros and a flag: the computation goes on with garbage, and the caller
// checks faulted() afterwards and throws a typed error instead. Faults anywhere else go to the handler that was
// installed before (by default: the process dies, as it would have).

#include <cstddef>
#include <string>

namespace rl {

class FileMap {
public:
    // Maps `path` (already opened as `fd`, which the map then owns and closes) read-only and shared. Throws E_BAD_FILE
    // when the file cannot be mapped, or E_NATIVE when too many maps are alive at once.
    FileMap(int fd, size_t size, const std::string & path);
    ~FileMap();
    FileMap(const FileMap &) = delete;
    FileMap & operator=(const FileMap &) = delete;

    void * data() const { return data_; }
    size_t size() const { return size_; }
    int fd() const { return fd_; }
    // Whether a read has hit a page past the file's end since the map was made (the file shrank under it).
    bool faulted() const;

private:
    int fd_;
    void * data_;
    size_t size_;
    int slot_;
};

}  // namespace rl
