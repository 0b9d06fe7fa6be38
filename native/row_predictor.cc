#include "row_predictor.h"

#include <string>

#include "args.h"
#include "booster.h"
#include "errors.h"
#include "log_capture.h"

namespace lgbm_node {

Napi::Function RowPredictor::Init(Napi::Env env) {
  return DefineClass(env, "RowPredictor",
                     {
                         InstanceMethod<&RowPredictor::Run>("run"),
                         InstanceMethod<&RowPredictor::Dispose>("dispose"),
                     });
}

RowPredictor::RowPredictor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RowPredictor>(info) {
  Napi::Env env = info.Env();
  InstallLogCallback();
  state_ = Booster::StateOf(env, info[0], "booster");
  int type = static_cast<int>(IntArg(info, 1, "type", 0, 3));
  int start = static_cast<int>(IntArg(info, 2, "startIteration", 0, INT32_MAX));
  int num = static_cast<int>(IntArg(info, 3, "numIterations", INT32_MIN, INT32_MAX));
  Napi::Float64Array input = Float64ArrayArg(info, 4, "input");
  Napi::Float64Array output = Float64ArrayArg(info, 5, "output");
  if (static_cast<int64_t>(input.ElementLength()) != state_->numFeatures) {
    throw ArgRangeError(env, "input has " + std::to_string(input.ElementLength()) + " values but the model has " +
                                 std::to_string(state_->numFeatures) + " features");
  }
  int64_t width = 0;
  Check(env, LGBM_BoosterCalcNumPredict(state_->handle, 1, type, start, num, &width), "computing the prediction size");
  if (static_cast<int64_t>(output.ElementLength()) != width) {
    throw ArgRangeError(env, "output has " + std::to_string(output.ElementLength()) + " values, needs " +
                                 std::to_string(width));
  }
  // num_threads=1: one row gains nothing from threads. This also sets LightGBM's global thread count,
  // which is why every batch call passes its own num_threads.
  Check(env,
        LGBM_BoosterPredictForMatSingleRowFastInit(state_->handle, type, start, num, C_API_DTYPE_FLOAT64,
                                                   state_->numFeatures, "num_threads=1", &fast_),
        "preparing single-row prediction");
  input_ = Napi::Persistent(input.As<Napi::Object>());
  output_ = Napi::Persistent(output.As<Napi::Object>());
  in_ = input.Data();
  out_ = output.Data();
}

RowPredictor::~RowPredictor() { Release(); }

void RowPredictor::Release() {
  if (fast_) LGBM_FastConfigFree(fast_);  // before our share of the booster it points into
  fast_ = nullptr;
  state_.reset();
}

Napi::Value RowPredictor::Run(const Napi::CallbackInfo& info) {
  if (!fast_) {
    Napi::Error err = Napi::Error::New(info.Env(), "the model has been disposed");
    err.Value().Set("code", Napi::String::New(info.Env(), "ERR_DISPOSED"));
    throw err;
  }
  int64_t len = 0;
  Check(info.Env(), LGBM_BoosterPredictForMatSingleRowFast(fast_, in_, &len, out_), "predicting a row");
  return info.Env().Undefined();
}

Napi::Value RowPredictor::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace lgbm_node
