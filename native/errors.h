// How LightGBM failures and bad arguments become JavaScript exceptions.
#pragma once

#include <napi.h>

#include <string>

#include "lightgbm_c_api.h"

namespace lgbm_node {

// The library's message for the last failed call. LGBM_GetLastError() is thread-local: call this on
// the same thread as the failed LightGBM call (the JS thread for sync calls, the worker in Execute).
inline std::string LastError(const char* what) {
  const char* msg = LGBM_GetLastError();
  return std::string(what) + ": " + (msg && *msg ? msg : "unknown LightGBM error");
}

// A JS Error tagged with code ERR_LIGHTGBM, which the TypeScript layer turns into LightGBMError.
inline Napi::Error LightGBMError(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, "ERR_LIGHTGBM"));
  return err;
}

// Every LightGBM return code goes through here.
inline void Check(Napi::Env env, int rc, const char* what) {
  if (rc != 0) throw LightGBMError(env, LastError(what));
}

// What every call on a disposed (or collected) model throws; DisposedError in the TypeScript layer.
inline Napi::Error DisposedError(Napi::Env env) {
  Napi::Error err = Napi::Error::New(env, "the model has been disposed");
  err.Value().Set("code", Napi::String::New(env, "ERR_DISPOSED"));
  return err;
}

inline Napi::Error ArgTypeError(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::TypeError::New(env, message);
  err.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  return err;
}

inline Napi::Error ArgRangeError(Napi::Env env, const std::string& message) {
  Napi::Error err = Napi::RangeError::New(env, message);
  err.Value().Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  return err;
}

}  // namespace lgbm_node
