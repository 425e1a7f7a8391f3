// Compute devices through ggml's backend registry: the CPU always, CUDA GPUs when the addon was built with
// RL_GGML_CUDA=1. The same engine code runs on either; only the buffers and the backend differ.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "ggml-backend.h"

namespace rl {

struct DeviceInfo {
    std::string id;           // what `device` options accept: "cpu", "cuda:0", ...
    std::string name;         // ggml's name: "CPU", "CUDA0", ...
    std::string description;  // e.g. the GPU's or CPU's model name
    bool gpu = false;
    size_t memory_free = 0, memory_total = 0;
    std::string backward_precision;  // operand type of dx = Wᵀ·dy's products: "bf16" or "f32"
};

// The devices this build can use, CPU first.
std::vector<DeviceInfo> list_devices();

// Whether the addon was compiled with a GPU backend at all (then a missing GPU is a driver or hardware matter).
bool gpu_backend_built();

// Resolves a device option: "cpu", "cuda" (the first GPU), "cuda:N", or "auto" (the first GPU, else the CPU).
// Throws rl::Error E_DEVICE when the request cannot be met, saying why.
ggml_backend_dev_t resolve_device(const std::string & want);

DeviceInfo describe(ggml_backend_dev_t dev);

}  // namespace rl
