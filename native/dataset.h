// Dataset: training data binned by LightGBM (LGBM_DatasetCreateFromMat), used by `train`.
#pragma once

#include <napi.h>

#include <memory>

#include "lightgbm_c_api.h"

namespace lgbm_node {

// Owns the handle; shared with boosters that train on it (LightGBM keeps a pointer to its data).
struct DatasetState {
  DatasetHandle handle = nullptr;
  std::shared_ptr<DatasetState> reference;  // bins are aligned to this one
  ~DatasetState() {
    if (handle) LGBM_DatasetFree(handle);
  }
};

class Dataset : public Napi::ObjectWrap<Dataset> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Dataset(const Napi::CallbackInfo& info);
  // The state of a JS value that must be a live Dataset (checked with instanceof).
  static std::shared_ptr<DatasetState> StateOf(Napi::Env env, Napi::Value value, const char* name);

 private:
  Napi::Value SetField(const Napi::CallbackInfo& info);
  Napi::Value SetFeatureNames(const Napi::CallbackInfo& info);
  Napi::Value NumData(const Napi::CallbackInfo& info);
  Napi::Value NumFeature(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  DatasetHandle Live(Napi::Env env) const;

  std::shared_ptr<DatasetState> state_;
};

}  // namespace lgbm_node
