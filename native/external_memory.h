// Native memory an object holds, reported to V8 (napi_adjust_external_memory) for as long as the object
// holds it: V8 then counts it toward its heap limits and collects objects dropped without dispose()
// under that pressure. Without it a dropped model is a few bytes to V8 and hundreds of KB to the process
// (4,000 dropped models reached 2 GB before the first collection).
#pragma once

#include <napi.h>

#include <cstdint>

namespace lgbm_node {

class ExternalMemory {
 public:
  ExternalMemory() = default;
  ExternalMemory(const ExternalMemory&) = delete;
  ExternalMemory& operator=(const ExternalMemory&) = delete;
  ~ExternalMemory() { Release(); }

  // Reports `bytes` more (replacing what this object reported before).
  void Report(napi_env env, int64_t bytes) {
    Release();
    int64_t total = 0;
    if (bytes > 0 && napi_adjust_external_memory(env, bytes, &total) == napi_ok) {
      env_ = env;
      bytes_ = bytes;
    }
  }

  // Takes the report back; idempotent (dispose() and then the finalizer both call it). Safe in a
  // finalizer: it only adjusts a counter of the isolate.
  void Release() {
    if (env_ != nullptr && bytes_ > 0) {
      int64_t total = 0;
      napi_adjust_external_memory(env_, -bytes_, &total);
    }
    env_ = nullptr;
    bytes_ = 0;
  }

  int64_t bytes() const { return bytes_; }

 private:
  napi_env env_ = nullptr;
  int64_t bytes_ = 0;
};

// What LightGBM holds for a model loaded from `textBytes` of model text (measured on the zoo, the shipped
// model and a 500-tree model: 0.65-0.85 bytes of heap per byte of text, plus ~16 KB a booster).
inline int64_t LoadedBoosterBytes(size_t textBytes) { return 16384 + static_cast<int64_t>(textBytes) * 3 / 4; }

}  // namespace lgbm_node
