// y = a*x + y on the GPU, behind a C ABI for ctypes. The CUDA runtime is linked statically, so the
// library needs only the driver (libcuda.so.1) at run time.
#include <cuda_runtime.h>

__global__ void saxpy_kernel(int n, float a, const float *x, float *y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}

// 0 on success, else a cudaError_t (see jcb_cuda_error_string).
extern "C" int jcb_cuda_saxpy(int n, float a, const float *x, float *y) {
    float *dx = nullptr, *dy = nullptr;
    size_t bytes = (size_t)n * sizeof(float);
    cudaError_t err = cudaMalloc(&dx, bytes);
    if (err == cudaSuccess) err = cudaMalloc(&dy, bytes);
    if (err == cudaSuccess) err = cudaMemcpy(dx, x, bytes, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) err = cudaMemcpy(dy, y, bytes, cudaMemcpyHostToDevice);
    if (err == cudaSuccess) {
        saxpy_kernel<<<(n + 255) / 256, 256>>>(n, a, dx, dy);
        err = cudaGetLastError();
    }
    if (err == cudaSuccess) err = cudaMemcpy(y, dy, bytes, cudaMemcpyDeviceToHost);
    cudaFree(dx);
    cudaFree(dy);
    return (int)err;
}

extern "C" int jcb_cuda_device_count(void) {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

extern "C" const char *jcb_cuda_error_string(int err) {
    return cudaGetErrorString((cudaError_t)err);
}
