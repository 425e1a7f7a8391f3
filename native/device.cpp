#include "device.h"

#include "errors.h"
#include "ggml-cpu.h"
#include "weight_grad.h"
#ifdef GGML_USE_CUDA
#include "ggml-cuda.h"
#endif

namespace rl {
namespace {

std::vector<ggml_backend_dev_t> gpus() {
    std::vector<ggml_backend_dev_t> out;
    for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
        ggml_backend_dev_t d = ggml_backend_dev_get(i);
        if (ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_GPU) out.push_back(d);
    }
    return out;
}

}  // namespace

bool gpu_backend_built() { return ggml_backend_reg_by_name("CUDA") != nullptr; }

DeviceInfo describe(ggml_backend_dev_t dev) {
    DeviceInfo info;
    info.name = ggml_backend_dev_name(dev);
    info.description = ggml_backend_dev_description(dev);
    info.gpu = ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_GPU;
    ggml_backend_dev_memory(dev, &info.memory_free, &info.memory_total);
    info.id = "cpu";
    ggml_type backward = info.gpu ? GGML_TYPE_F32 : ggml_cpu_mul_mat_t_type();
    const std::vector<ggml_backend_dev_t> all = gpus();
    for (size_t i = 0; i < all.size(); i++) {
        if (all[i] != dev) continue;
        info.id = "cuda:" + std::to_string(i);
#ifdef GGML_USE_CUDA
        backward = ggml_backend_cuda_mul_mat_t_type((int) i);
#endif
    }
    info.backward_precision = f32_backward() ? "f32" : ggml_type_name(backward);
    return info;
}

std::vector<DeviceInfo> list_devices() {
    std::vector<DeviceInfo> out;
    if (ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU)) out.push_back(describe(cpu));
    for (ggml_backend_dev_t d : gpus()) out.push_back(describe(d));
    return out;
}

ggml_backend_dev_t resolve_device(const std::string & want) {
    const std::vector<ggml_backend_dev_t> all = gpus();
    if (want == "cpu" || (want == "auto" && all.empty())) {
        ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        if (!cpu) fail(E_DEVICE, "the ggml CPU backend is missing from this build");
        return cpu;
    }
    if (want == "auto") return all[0];
    size_t index = 0;
    if (want.rfind("cuda:", 0) == 0) {
        const std::string n = want.substr(5);
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) fail(E_ARGUMENT, "bad device \"" + want + "\" (auto, cpu, cuda, cuda:N)");
        index = std::stoul(n);
    } else if (want != "cuda") {
        fail(E_ARGUMENT, "unknown device \"" + want + "\" (auto, cpu, cuda, cuda:N)");
    }
    if (!gpu_backend_built()) {
        fail(E_DEVICE, "this rl-ggml build has no CUDA backend: reinstall with RL_GGML_CUDA=1 npm install (needs the CUDA toolkit with cuBLAS)");
    }
    if (all.empty()) fail(E_DEVICE, "the CUDA backend found no usable GPU (check the driver with nvidia-smi)");
    if (index >= all.size()) fail(E_DEVICE, "device " + want + " does not exist: " + std::to_string(all.size()) + " GPU(s) found");
    return all[index];
}

}  // namespace rl
