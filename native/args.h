// Strict argument readers: every value crossing from JS is checked before a pointer is touched.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "errors.h"

namespace lgbm_node {

// As<Napi::Float64Array>() does not check the type, so a Float32Array would be read as doubles:
// check the typed array kind ourselves.
inline Napi::Float64Array Float64ArrayArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    std::string got = v.IsTypedArray() ? "another typed array (convert it with Float64Array.from)" : "a non-typed-array";
    throw ArgTypeError(info.Env(), std::string(name) + " must be a Float64Array, got " + got);
  }
  return v.As<Napi::Float64Array>();
}

inline int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw ArgTypeError(info.Env(), std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) {
    throw ArgTypeError(info.Env(), std::string(name) + " must be an integer");
  }
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw ArgRangeError(info.Env(), std::string(name) + " must be between " + std::to_string(min) + " and " +
                                        std::to_string(max) + ", got " + std::to_string(static_cast<int64_t>(d)));
  }
  return static_cast<int64_t>(d);
}

inline std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throw ArgTypeError(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

}  // namespace lgbm_node
