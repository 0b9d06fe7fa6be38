#include "dataset.h"

#include <string>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "errors.h"
#include "log_capture.h"

namespace lgbm_node {

Napi::Function Dataset::Init(Napi::Env env) {
  return DefineClass(env, "Dataset",
                     {
                         InstanceMethod<&Dataset::SetField>("setField"),
                         InstanceMethod<&Dataset::SetFeatureNames>("setFeatureNames"),
                         InstanceMethod<&Dataset::NumData>("numData"),
                         InstanceMethod<&Dataset::NumFeature>("numFeature"),
                         InstanceMethod<&Dataset::Dispose>("dispose"),
                     });
}

// new Dataset(data: Float64Array, nrow, ncol, params: string, reference?: Dataset)
Dataset::Dataset(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Dataset>(info) {
  Napi::Env env = info.Env();
  InstallLogCallback();
  Napi::Float64Array data = Float64ArrayArg(info, 0, "data");
  int64_t nrow = IntArg(info, 1, "nrow", 1, INT32_MAX);
  int64_t ncol = IntArg(info, 2, "ncol", 1, INT32_MAX);
  std::string params = StringArg(info, 3, "params");
  if (static_cast<int64_t>(data.ElementLength()) != nrow * ncol) {
    throw ArgRangeError(env, "data has " + std::to_string(data.ElementLength()) + " values, expected nrow * ncol = " +
                                 std::to_string(nrow * ncol));
  }
  state_ = std::make_shared<DatasetState>();
  DatasetHandle ref = nullptr;
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull()) {
    state_->reference = StateOf(env, info[4], "reference");
    ref = state_->reference->handle;
  }
  Check(env,
        LGBM_DatasetCreateFromMat(data.Data(), C_API_DTYPE_FLOAT64, static_cast<int32_t>(nrow),
                                  static_cast<int32_t>(ncol), 1, params.c_str(), ref, &state_->handle),
        "creating the dataset");
}

std::shared_ptr<DatasetState> Dataset::StateOf(Napi::Env env, Napi::Value value, const char* name) {
  Napi::Function ctor = GetAddonData(env)->dataset.Value();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor)) {
    throw ArgTypeError(env, std::string(name) + " must be a Dataset");
  }
  Dataset* ds = Dataset::Unwrap(value.As<Napi::Object>());
  ds->Live(env);
  return ds->state_;
}

DatasetHandle Dataset::Live(Napi::Env env) const {
  if (!state_ || !state_->handle) throw Napi::Error::New(env, "the dataset has been disposed");
  return state_->handle;
}

// setField(name: "label" | "weight" | "init_score", values: Float64Array)
Napi::Value Dataset::SetField(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DatasetHandle h = Live(env);
  std::string name = StringArg(info, 0, "name");
  Napi::Float64Array values = Float64ArrayArg(info, 1, "values");
  int n = static_cast<int>(values.ElementLength());
  if (name == "label" || name == "weight") {
    // LightGBM stores labels and weights as float32.
    std::vector<float> f(values.Data(), values.Data() + n);
    Check(env, LGBM_DatasetSetField(h, name.c_str(), f.data(), n, C_API_DTYPE_FLOAT32), "setting the dataset field");
  } else if (name == "init_score") {
    Check(env, LGBM_DatasetSetField(h, name.c_str(), values.Data(), n, C_API_DTYPE_FLOAT64),
          "setting the dataset field");
  } else {
    throw ArgRangeError(env, "field must be one of label, weight, init_score, got \"" + name + "\"");
  }
  return env.Undefined();
}

Napi::Value Dataset::SetFeatureNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DatasetHandle h = Live(env);
  if (!info[0].IsArray()) throw ArgTypeError(env, "names must be an array of strings");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> names;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw ArgTypeError(env, "names[" + std::to_string(i) + "] must be a string");
    names.push_back(v.As<Napi::String>().Utf8Value());
  }
  std::vector<const char*> ptrs;
  for (auto& s : names) ptrs.push_back(s.c_str());
  Check(env, LGBM_DatasetSetFeatureNames(h, ptrs.data(), static_cast<int>(ptrs.size())), "setting feature names");
  return env.Undefined();
}

Napi::Value Dataset::NumData(const Napi::CallbackInfo& info) {
  int out = 0;
  Check(info.Env(), LGBM_DatasetGetNumData(Live(info.Env()), &out), "reading the dataset size");
  return Napi::Number::New(info.Env(), out);
}

Napi::Value Dataset::NumFeature(const Napi::CallbackInfo& info) {
  int out = 0;
  Check(info.Env(), LGBM_DatasetGetNumFeature(Live(info.Env()), &out), "reading the dataset features");
  return Napi::Number::New(info.Env(), out);
}

// Frees our reference now; a booster training on it keeps the data alive until it is freed too.
Napi::Value Dataset::Dispose(const Napi::CallbackInfo& info) {
  state_.reset();
  return info.Env().Undefined();
}

}  // namespace lgbm_node
