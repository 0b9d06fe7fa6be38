#include "predict_args.h"

#include "errors.h"

namespace lgbm_node {

PredictArgs ReadPredictArgs(const Napi::CallbackInfo& info, BoosterState& state, Napi::Float64Array* data) {
  Napi::Env env = info.Env();
  PredictArgs a;
  *data = Float64ArrayArg(info, 0, "data");
  a.nrow = static_cast<int32_t>(IntArg(info, 1, "nrow", 0, INT32_MAX));
  a.ncol = static_cast<int32_t>(IntArg(info, 2, "ncol", 0, INT32_MAX));
  a.type = static_cast<int>(IntArg(info, 3, "type", 0, 3));
  a.start = static_cast<int>(IntArg(info, 4, "startIteration", 0, INT32_MAX));
  a.num = static_cast<int>(IntArg(info, 5, "numIterations", INT32_MIN, INT32_MAX));
  a.params = StringArg(info, 6, "params");
  if (a.ncol != state.numFeatures) {
    throw ArgRangeError(env, "ncol is " + std::to_string(a.ncol) + " but the model has " +
                                 std::to_string(state.numFeatures) + " features");
  }
  int64_t expected = static_cast<int64_t>(a.nrow) * a.ncol;
  if (static_cast<int64_t>(data->ElementLength()) != expected) {
    throw ArgRangeError(env, "data has " + std::to_string(data->ElementLength()) + " values, expected nrow * ncol = " +
                                 std::to_string(expected));
  }
  a.data = data->Data();
  Check(env, LGBM_BoosterCalcNumPredict(state.handle, a.nrow, a.type, a.start, a.num, &a.outLen),
        "computing the prediction size");
  return a;
}

}  // namespace lgbm_node
