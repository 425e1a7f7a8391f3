// A stand-in for the CUDA runtime and cuBLAS that lets a CUDA build's host code run where there is no GPU.
//
// Built twice, as libcudart.so.13 and libcublas.so.13, and put first on LD_LIBRARY_PATH (test/cuda-stand-in/run.sh),
// it answers for one GPU shaped like an H100 whose kernels and GEMMs do nothing: every launch is checked the way the
// driver checks it (block and grid limits, dynamic shared memory against the kernel's attribute) and then skipped.
// What that finds without a GPU: ops ggml-cuda does not support or asserts on, launch configurations a real GPU
// refuses, copies and GEMM operands outside their allocations, host code that reads device memory (device addresses
// are mapped without access; the stand-in copies through a second, writable mapping of the same pages), and how many
// bytes of device memory a run allocates at its peak, pools included. Results computed on it are meaningless.
//
// Environment: CUDA_STAND_IN_MEMORY (device memory in bytes; default 80 GiB), CUDA_STAND_IN_REPORT (a file that gets
// a JSON summary at exit: peak bytes, launches, bytes copied each way, errors).
#include <cuda_runtime_api.h>
#include <cublas_api.h>
#include <cxxabi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

struct Allocation {
  char * shadow;  // the same pages as the device view, readable and writable by the stand-in only
  size_t size;
};

struct Counters {
  size_t current = 0, peak = 0, allocations = 0;
  size_t launches = 0, gemms = 0;
  std::atomic<size_t> errors{0};
  size_t host_to_device = 0, device_to_host = 0, device_to_device = 0;
};

std::mutex mu;
std::map<uintptr_t, Allocation> allocations;            // by device address
std::unordered_map<const void *, std::string> kernels;  // host stub -> device name, from the fat binary registration
std::unordered_map<const void *, int> dynamic_smem;     // cudaFuncAttributeMaxDynamicSharedMemorySize per kernel
Counters counters;
thread_local cudaError_t last_error = cudaSuccess;
int current_device = 0;

constexpr int kSmCount = 132, kSharedPerBlock = 48 << 10, kSharedPerBlockOptin = 227 << 10;

size_t memory_size() {
  static const size_t bytes = [] {
    const char * env = getenv("CUDA_STAND_IN_MEMORY");
    return env ? strtoull(env, nullptr, 10) : size_t(80) << 30;
  }();
  return bytes;
}

cudaError_t fail(cudaError_t err, const std::string & what) {
  fprintf(stderr, "cuda stand-in: %s\n", what.c_str());
  last_error = err;
  counters.errors++;
  return err;
}

std::string demangle(const std::string & name) {
  int status = 0;
  char * s = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  std::string out = status == 0 && s ? s : name;
  free(s);
  return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

// The allocation holding [p, p + n), or null when p is not device memory. `n` past its end is an error.
const Allocation * find(const void * p, size_t n, uintptr_t * base, bool * out_of_bounds) {
  *out_of_bounds = false;
  auto it = allocations.upper_bound(uintptr_t(p));
  if (it == allocations.begin()) return nullptr;
  --it;
  const uintptr_t off = uintptr_t(p) - it->first;
  if (off >= it->second.size) return nullptr;
  *base = it->first;
  *out_of_bounds = n > it->second.size - off;
  return &it->second;
}

// Where the stand-in reads or writes `p`: its shadow when it is device memory, else itself (host memory).
bool translate(const void * p, size_t n, const char * role, char ** out) {
  uintptr_t base = 0;
  bool oob = false;
  const Allocation * a = find(p, n, &base, &oob);
  if (oob) {
    fail(cudaErrorInvalidValue, std::string(role) + ": " + std::to_string(n) + " bytes at offset " +
                                    std::to_string(uintptr_t(p) - base) + " overrun an allocation of " + std::to_string(a->size));
    return false;
  }
  *out = a ? a->shadow + (uintptr_t(p) - base) : (char *) p;
  return true;
}

bool is_device(const void * p) {
  uintptr_t base;
  bool oob;
  return find(p, 0, &base, &oob) != nullptr;
}

cudaError_t copy(void * dst, const void * src, size_t n, const char * what) {
  std::lock_guard<std::mutex> lock(mu);
  char *d, *s;
  if (!translate(dst, n, what, &d) || !translate(src, n, what, &s)) return last_error;
  const bool dd = is_device(dst), sd = is_device(src);
  (dd && sd ? counters.device_to_device : dd ? counters.host_to_device : sd ? counters.device_to_host : counters.host_to_device) += n;
  memmove(d, s, n);
  return cudaSuccess;
}

cudaError_t check_launch(const void * fn, dim3 grid, dim3 block, size_t smem) {
  std::lock_guard<std::mutex> lock(mu);
  counters.launches++;
  auto name = kernels.find(fn);
  const std::string kernel = name == kernels.end() ? "an unregistered kernel" : demangle(name->second);
  const unsigned long long threads = (unsigned long long) block.x * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu ||
      grid.y > 65535 || grid.z > 65535) {
    return fail(cudaErrorInvalidConfiguration, "launch of " + kernel + ": grid (" + std::to_string(grid.x) + ", " + std::to_string(grid.y) +
                                                   ", " + std::to_string(grid.z) + "), block (" + std::to_string(block.x) + ", " +
                                                   std::to_string(block.y) + ", " + std::to_string(block.z) + ")");
  }
  auto opt = dynamic_smem.find(fn);
  const size_t limit = opt == dynamic_smem.end() ? kSharedPerBlock : size_t(opt->second);
  if (smem > limit) {
    return fail(cudaErrorInvalidValue, "launch of " + kernel + ": " + std::to_string(smem) + " bytes of dynamic shared memory, limit " +
                                           std::to_string(limit));
  }
  return cudaSuccess;
}

size_t type_size(cudaDataType t) {
  switch (t) {
    case CUDA_R_16F: case CUDA_R_16BF: return 2;
    case CUDA_R_32F: return 4;
    case CUDA_R_64F: return 8;
    case CUDA_R_8I: return 1;
    case CUDA_R_32I: return 4;
    default: return 4;
  }
}

// A column-major operand of `rows` × `cols` with leading dimension `ld`, `batch` times `stride` elements apart.
cublasStatus_t check_operand(const char * what, const void * p, int rows, int cols, int ld, long long stride, int batch, size_t elem) {
  if (ld < (rows > 1 ? rows : 1)) {
    fail(cudaErrorInvalidValue, std::string("GEMM operand ") + what + ": leading dimension " + std::to_string(ld) + " < rows " + std::to_string(rows));
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (rows == 0 || cols == 0) return CUBLAS_STATUS_SUCCESS;
  const size_t extent = (size_t(batch - 1) * size_t(stride) + size_t(cols - 1) * size_t(ld) + size_t(rows)) * elem;
  char * ignored;
  if (!is_device(p)) {
    fail(cudaErrorInvalidValue, std::string("GEMM operand ") + what + " is not device memory");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  return translate(p, extent, (std::string("GEMM operand ") + what).c_str(), &ignored) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
}

cublasStatus_t check_gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void * A, int lda, long long sa,
                          const void * B, int ldb, long long sb, void * C, int ldc, long long sc, int batch, size_t ea, size_t eb, size_t ec) {
  std::lock_guard<std::mutex> lock(mu);
  counters.gemms++;
  if (m < 0 || n < 0 || k < 0 || batch < 1) {
    fail(cudaErrorInvalidValue, "GEMM with m " + std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k));
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  const bool na = ta == CUBLAS_OP_N, nb = tb == CUBLAS_OP_N;
  cublasStatus_t s = check_operand("A", A, na ? m : k, na ? k : m, lda, sa, batch, ea);
  if (s == CUBLAS_STATUS_SUCCESS) s = check_operand("B", B, nb ? k : n, nb ? n : k, ldb, sb, batch, eb);
  if (s == CUBLAS_STATUS_SUCCESS) s = check_operand("C", C, m, n, ldc, sc, batch, ec);
  return s;
}

// Pointer arrays of batched GEMMs are written by a kernel, so only the arrays themselves can be checked.
cublasStatus_t check_pointer_array(const void * arr, int batch) {
  std::lock_guard<std::mutex> lock(mu);
  counters.gemms++;
  char * ignored;
  if (batch < 1 || !is_device(arr) || !translate(arr, size_t(batch) * sizeof(void *), "GEMM pointer array", &ignored)) {
    fail(cudaErrorInvalidValue, "batched GEMM: pointer array of " + std::to_string(batch) + " is not in device memory");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  return CUBLAS_STATUS_SUCCESS;
}

void * new_handle() { return calloc(1, 64); }

struct Report {
  ~Report() {
    const char * path = getenv("CUDA_STAND_IN_REPORT");
    if (!path) return;
    if (FILE * f = fopen(path, "w")) {
      fprintf(f,
              "{\"peakBytes\": %zu, \"allocations\": %zu, \"launches\": %zu, \"gemms\": %zu, \"hostToDevice\": %zu, "
              "\"deviceToHost\": %zu, \"deviceToDevice\": %zu, \"errors\": %zu}\n",
              counters.peak, counters.allocations, counters.launches, counters.gemms, counters.host_to_device, counters.device_to_host,
              counters.device_to_device, counters.errors.load());
      fclose(f);
    }
  }
} report;

}  // namespace

extern "C" {

// ---- registration and launches (what nvcc's host stubs call) ----

void ** __cudaRegisterFatBinary(void *) { return (void **) new_handle(); }
void __cudaRegisterFatBinaryEnd(void **) {}
void __cudaUnregisterFatBinary(void **) {}
void __cudaRegisterVar(void **, char *, char *, const char *, int, size_t, int, int) {}
void __cudaRegisterFunction(void **, const char * host_fun, char *, const char * name, int, uint3 *, uint3 *, dim3 *, dim3 *, int *) {
  std::lock_guard<std::mutex> lock(mu);
  kernels[host_fun] = name;
}

static thread_local struct { dim3 grid, block; size_t smem; void * stream; } call_config;

unsigned __cudaPushCallConfiguration(dim3 grid, dim3 block, size_t smem, void * stream) {
  call_config = {grid, block, smem, stream};
  return 0;
}
cudaError_t __cudaPopCallConfiguration(dim3 * grid, dim3 * block, size_t * smem, void * stream) {
  *grid = call_config.grid;
  *block = call_config.block;
  *smem = call_config.smem;
  *(void **) stream = call_config.stream;
  return cudaSuccess;
}
cudaError_t __cudaGetKernel(cudaKernel_t * kernel, const void * fun) {
  *kernel = (cudaKernel_t) fun;
  return cudaSuccess;
}
cudaError_t __cudaLaunchKernel(cudaKernel_t kernel, dim3 grid, dim3 block, void **, size_t smem, cudaStream_t) {
  return check_launch((const void *) kernel, grid, block, smem);
}
cudaError_t cudaLaunchKernelExC(const cudaLaunchConfig_t * config, const void * func, void **) {
  return check_launch(func, config->gridDim, config->blockDim, config->dynamicSmemBytes);
}
cudaError_t cudaLaunchCooperativeKernel(const void * func, dim3 grid, dim3 block, void **, size_t smem, cudaStream_t) {
  return check_launch(func, grid, block, smem);
}
cudaError_t cudaFuncSetAttribute(const void * func, enum cudaFuncAttribute attr, int value) {
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value > kSharedPerBlockOptin) return fail(cudaErrorInvalidValue, "cudaFuncSetAttribute: " + std::to_string(value) + " bytes of shared memory");
    std::lock_guard<std::mutex> lock(mu);
    dynamic_smem[func] = value;
  }
  return cudaSuccess;
}
cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes * attr, const void *) {
  memset(attr, 0, sizeof(*attr));
  attr->maxThreadsPerBlock = 1024;
  attr->numRegs = 64;
  attr->ptxVersion = 90;
  attr->binaryVersion = 90;
  attr->maxDynamicSharedSizeBytes = kSharedPerBlock;
  return cudaSuccess;
}
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int * blocks, const void *, int, size_t, unsigned int) {
  *blocks = 2;
  return cudaSuccess;
}

// ---- errors ----

cudaError_t cudaGetLastError(void) {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) { return last_error; }
const char * cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidValue: return "invalid argument";
    default: return "stand-in error";
  }
}

// ---- devices ----

cudaError_t cudaGetDeviceCount(int * n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int * d) {
  *d = current_device;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice, "cudaSetDevice(" + std::to_string(d) + ")"); }
cudaError_t cudaSetDeviceFlags(unsigned int) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp * p, int) {
  memset(p, 0, sizeof(*p));
  snprintf(p->name, sizeof(p->name), "NVIDIA H100 80GB HBM3 (stand-in)");
  p->totalGlobalMem = memory_size();
  p->sharedMemPerBlock = kSharedPerBlock;
  p->sharedMemPerBlockOptin = kSharedPerBlockOptin;
  p->sharedMemPerMultiprocessor = 228 << 10;
  p->regsPerBlock = 65536;
  p->regsPerMultiprocessor = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsPerMultiProcessor = 2048;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 0x7fffffff;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = kSmCount;
  p->l2CacheSize = 50 << 20;
  p->concurrentKernels = 1;
  p->unifiedAddressing = 1;
  p->managedMemory = 1;
  p->cooperativeLaunch = 1;
  p->memoryBusWidth = 5120;
  p->pciBusID = 1;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int * value, enum cudaDeviceAttr attr, int) {
  switch (attr) {
    case cudaDevAttrCooperativeLaunch: *value = 1; break;
    case cudaDevAttrMultiProcessorCount: *value = kSmCount; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = kSharedPerBlockOptin; break;
    case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
    case cudaDevAttrWarpSize: *value = 32; break;
    default: *value = 0;
  }
  return cudaSuccess;
}
cudaError_t cudaDeviceGetPCIBusId(char * id, int len, int) {
  snprintf(id, len, "0000:01:00.0");
  return cudaSuccess;
}
cudaError_t cudaDeviceCanAccessPeer(int * can, int, int) {
  *can = 0;
  return cudaSuccess;
}
cudaError_t cudaDeviceEnablePeerAccess(int, unsigned int) { return cudaSuccess; }
cudaError_t cudaMemGetInfo(size_t * free_bytes, size_t * total) {
  std::lock_guard<std::mutex> lock(mu);
  *total = memory_size();
  *free_bytes = *total - counters.current;
  return cudaSuccess;
}

// ---- memory ----

cudaError_t cudaMalloc(void ** ptr, size_t size) {
  *ptr = nullptr;
  if (size == 0) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mu);
  if (counters.current + size > memory_size()) {
    return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(size) + " bytes with " + std::to_string(counters.current) +
                                               " of " + std::to_string(memory_size()) + " in use");
  }
  const int fd = memfd_create("cuda-stand-in", 0);
  if (fd < 0 || ftruncate(fd, off_t(size)) != 0) {
    if (fd >= 0) close(fd);
    return fail(cudaErrorMemoryAllocation, "cudaMalloc: no host memory to stand in for " + std::to_string(size) + " bytes");
  }
  void * view = mmap(nullptr, size, PROT_NONE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  void * shadow = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  close(fd);
  if (view == MAP_FAILED || shadow == MAP_FAILED) return fail(cudaErrorMemoryAllocation, "cudaMalloc: mmap failed");
  allocations[uintptr_t(view)] = {(char *) shadow, size};
  counters.current += size;
  counters.allocations++;
  if (counters.current > counters.peak) counters.peak = counters.current;
  *ptr = view;
  return cudaSuccess;
}
cudaError_t cudaMallocManaged(void ** ptr, size_t size, unsigned int) { return cudaMalloc(ptr, size); }
cudaError_t cudaFree(void * ptr) {
  if (!ptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mu);
  auto it = allocations.find(uintptr_t(ptr));
  if (it == allocations.end()) return fail(cudaErrorInvalidValue, "cudaFree of a pointer cudaMalloc did not return");
  munmap(ptr, it->second.size);
  munmap(it->second.shadow, it->second.size);
  counters.current -= it->second.size;
  allocations.erase(it);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void ** ptr, size_t size) {
  *ptr = malloc(size ? size : 1);
  return *ptr ? cudaSuccess : fail(cudaErrorMemoryAllocation, "cudaMallocHost");
}
cudaError_t cudaHostAlloc(void ** ptr, size_t size, unsigned int) { return cudaMallocHost(ptr, size); }
cudaError_t cudaFreeHost(void * ptr) {
  free(ptr);
  return cudaSuccess;
}
cudaError_t cudaHostRegister(void *, size_t, unsigned int) { return cudaSuccess; }
cudaError_t cudaHostUnregister(void *) { return cudaSuccess; }
cudaError_t cudaHostGetDevicePointer(void ** dev, void * host, unsigned int) {
  *dev = host;
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void * dst, const void * src, size_t n, enum cudaMemcpyKind, cudaStream_t) { return copy(dst, src, n, "cudaMemcpyAsync"); }
cudaError_t cudaMemcpyPeerAsync(void * dst, int, const void * src, int, size_t n, cudaStream_t) { return copy(dst, src, n, "cudaMemcpyPeerAsync"); }
cudaError_t cudaMemcpy2DAsync(void * dst, size_t dpitch, const void * src, size_t spitch, size_t width, size_t height, enum cudaMemcpyKind,
                              cudaStream_t) {
  if (width > dpitch || width > spitch) return fail(cudaErrorInvalidPitchValue, "cudaMemcpy2DAsync: width over pitch");
  for (size_t r = 0; r < height; r++) {
    cudaError_t e = copy((char *) dst + r * dpitch, (const char *) src + r * spitch, width, "cudaMemcpy2DAsync");
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void * ptr, int value, size_t n, cudaStream_t) {
  std::lock_guard<std::mutex> lock(mu);
  char * p;
  if (!is_device(ptr)) return fail(cudaErrorInvalidValue, "cudaMemset of host memory");
  if (!translate(ptr, n, "cudaMemset", &p)) return last_error;
  memset(p, value, n);
  return cudaSuccess;
}
cudaError_t cudaMemset(void * ptr, int value, size_t n) { return cudaMemsetAsync(ptr, value, n, nullptr); }

// ---- streams, events, graphs: nothing runs, so nothing waits ----

cudaError_t cudaStreamCreateWithFlags(cudaStream_t * s, unsigned int) {
  *s = (cudaStream_t) new_handle();
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  free(s);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned int) { return cudaSuccess; }
cudaError_t cudaStreamIsCapturing(cudaStream_t, enum cudaStreamCaptureStatus * status) {
  *status = cudaStreamCaptureStatusNone;
  return cudaSuccess;
}
cudaError_t cudaStreamBeginCapture(cudaStream_t, enum cudaStreamCaptureMode) { return cudaSuccess; }
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t * g) {
  *g = (cudaGraph_t) new_handle();
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t * e, cudaGraph_t, unsigned long long) {
  *e = (cudaGraphExec_t) new_handle();
  return cudaSuccess;
}
cudaError_t cudaGraphExecUpdate(cudaGraphExec_t, cudaGraph_t, cudaGraphExecUpdateResultInfo * info) {
  memset(info, 0, sizeof(*info));
  info->result = cudaGraphExecUpdateSuccess;
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  free(g);
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) {
  free(e);
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t * e, unsigned int) {
  *e = (cudaEvent_t) new_handle();
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  free(e);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }

// ---- cuBLAS ----

cublasStatus_t cublasCreate_v2(cublasHandle_t * h) {
  *h = (cublasHandle_t) new_handle();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
  free(h);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t, cudaStream_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t, void *, size_t) { return CUBLAS_STATUS_SUCCESS; }
const char * cublasGetStatusString(cublasStatus_t s) { return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_INVALID_VALUE"; }

cublasStatus_t cublasSgemm_v2(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float *, const float * A, int lda,
                              const float * B, int ldb, const float *, float * C, int ldc) {
  return check_gemm(ta, tb, m, n, k, A, lda, 0, B, ldb, 0, C, ldc, 0, 1, 4, 4, 4);
}
cublasStatus_t cublasGemmEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void *, const void * A,
                            cudaDataType at, int lda, const void * B, cudaDataType bt, int ldb, const void *, void * C, cudaDataType ct, int ldc,
                            cublasComputeType_t, cublasGemmAlgo_t) {
  return check_gemm(ta, tb, m, n, k, A, lda, 0, B, ldb, 0, C, ldc, 0, 1, type_size(at), type_size(bt), type_size(ct));
}
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float *,
                                         const float * A, int lda, long long sa, const float * B, int ldb, long long sb, const float *, float * C,
                                         int ldc, long long sc, int batch) {
  return check_gemm(ta, tb, m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch, 4, 4, 4);
}
cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void *,
                                          const void * A, cudaDataType at, int lda, long long sa, const void * B, cudaDataType bt, int ldb,
                                          long long sb, const void *, void * C, cudaDataType ct, int ldc, long long sc, int batch,
                                          cublasComputeType_t, cublasGemmAlgo_t) {
  return check_gemm(ta, tb, m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch, type_size(at), type_size(bt), type_size(ct));
}
cublasStatus_t cublasSgemmBatched(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const float *, const float * const A[], int,
                                  const float * const B[], int, const float *, float * const C[], int, int batch) {
  cublasStatus_t s = check_pointer_array(A, batch);
  if (s == CUBLAS_STATUS_SUCCESS) s = check_pointer_array(B, batch);
  return s == CUBLAS_STATUS_SUCCESS ? check_pointer_array(C, batch) : s;
}
cublasStatus_t cublasGemmBatchedEx(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *, const void * const A[],
                                   cudaDataType, int, const void * const B[], cudaDataType, int, const void *, void * const C[], cudaDataType, int,
                                   int batch, cublasComputeType_t, cublasGemmAlgo_t) {
  cublasStatus_t s = check_pointer_array(A, batch);
  if (s == CUBLAS_STATUS_SUCCESS) s = check_pointer_array(B, batch);
  return s == CUBLAS_STATUS_SUCCESS ? check_pointer_array(C, batch) : s;
}
cublasStatus_t cublasStrsmBatched(cublasHandle_t, cublasSideMode_t, cublasFillMode_t, cublasOperation_t, cublasDiagType_t, int, int, const float *,
                                  const float * const A[], int, float * const B[], int, int batch) {
  cublasStatus_t s = check_pointer_array(A, batch);
  return s == CUBLAS_STATUS_SUCCESS ? check_pointer_array(B, batch) : s;
}

}  // extern "C"
