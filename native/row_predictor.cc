#include "row_predictor.h"

#include <string>

#include "args.h"
#include "booster.h"
#include "errors.h"
#include "log_capture.h"

namespace lgbm_node {

namespace {

napi_value RawRun(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  RunCell* cell = static_cast<std::shared_ptr<RunCell>*>(data)->get();
  if (!cell->fast) {
    napi_throw_error(env, "ERR_DISPOSED", "the model has been disposed");
    return nullptr;
  }
  int64_t len = 0;
  if (LGBM_BoosterPredictForMatSingleRowFast(cell->fast, cell->in, &len, cell->out) != 0) {
    napi_throw_error(env, "ERR_LIGHTGBM", LastError("predicting a row").c_str());
  }
  return nullptr;
}

void DeleteCell(napi_env, void* data, void*) { delete static_cast<std::shared_ptr<RunCell>*>(data); }

}  // namespace

Napi::Function RowPredictor::Init(Napi::Env env) {
  return DefineClass(env, "RowPredictor", {InstanceMethod<&RowPredictor::Dispose>("dispose"), InstanceMethod<&RowPredictor::RunMany>("runMany")});
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
                                                   state_->numFeatures, "num_threads=1", &cell_->fast),
        "preparing single-row prediction");
  width_ = width;
  memory_.Report(env, 8192 + static_cast<int64_t>(state_->numFeatures) * 16);
  input_ = Napi::Persistent(input.As<Napi::Object>());
  output_ = Napi::Persistent(output.As<Napi::Object>());
  cell_->in = input.Data();
  cell_->out = output.Data();
  // run: a raw callback holding its own share of the cell, freed by the function's finalizer.
  auto* data = new std::shared_ptr<RunCell>(cell_);
  napi_value fn;
  if (napi_create_function(env, "run", NAPI_AUTO_LENGTH, RawRun, data, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, data, DeleteCell, nullptr, nullptr) != napi_ok) {
    delete data;
    throw Napi::Error::New(env, "could not create the run function");
  }
  info.This().As<Napi::Object>().Set("run", Napi::Value(env, fn));
}

RowPredictor::~RowPredictor() { Release(); }

void RowPredictor::Release() {
  if (cell_->fast) LGBM_FastConfigFree(cell_->fast);  // before our share of the booster it points into
  cell_->fast = nullptr;
  state_.reset();
  memory_.Release();
}

Napi::Value RowPredictor::RunMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!cell_->fast) {
    throw DisposedError(env);
  }
  Napi::Float64Array data = Float64ArrayArg(info, 0, "data");
  const int64_t ncol = state_->numFeatures;
  const int64_t nrow = IntArg(info, 1, "nrow", 0, INT32_MAX);
  if (static_cast<int64_t>(data.ElementLength()) != nrow * ncol) {
    throw ArgRangeError(env, "data has " + std::to_string(data.ElementLength()) + " values, expected nrow * ncol = " +
                                 std::to_string(nrow * ncol));
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(nrow * width_));
  const double* in = data.Data();
  double* res = out.Data();
  int64_t len = 0;
  for (int64_t r = 0; r < nrow; r++) {
    Check(env, LGBM_BoosterPredictForMatSingleRowFast(cell_->fast, in + r * ncol, &len, res + r * width_),
          "predicting a row");
  }
  return out;
}

Napi::Value RowPredictor::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace lgbm_node
