#include "predict_worker.h"

#include "errors.h"
#include "log_capture.h"

namespace lgbm_node {

PredictWorker::PredictWorker(Napi::Function done, std::shared_ptr<BoosterState> state, PredictArgs args,
                             Napi::Float64Array input, Napi::Float64Array output)
    : Napi::AsyncWorker(done, "lightgbm-node:predict"),
      state_(std::move(state)),
      args_(std::move(args)),
      input_(Napi::Persistent(input.As<Napi::Object>())),
      output_(Napi::Persistent(output.As<Napi::Object>())),
      out_(output.Data()) {}

void PredictWorker::Execute() {
  InstallLogCallback();
  int64_t len = 0;
  int rc = LGBM_BoosterPredictForMat(state_->handle, args_.data, C_API_DTYPE_FLOAT64, args_.nrow, args_.ncol, 1,
                                     args_.type, args_.start, args_.num, args_.params.c_str(), &len, out_);
  // Read the message here: LGBM_GetLastError() is thread-local to this worker thread.
  if (rc != 0) SetError(LastError("predicting"));
}

void PredictWorker::OnOK() { Callback().Call({Env().Null(), output_.Value()}); }

void PredictWorker::OnError(const Napi::Error& error) {
  Callback().Call({LightGBMError(Env(), error.Message()).Value()});
}

}  // namespace lgbm_node
