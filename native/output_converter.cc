#include "output_converter.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "errors.h"

namespace lgbm_node {

// The objective's ConvertOutput (src/objective/*.hpp), after GBDT::Predict's averaging for random forests.
void Conversion::Row(double* out) const {
  if (average > 0) {
    for (int32_t c = 0; c < k; c++) out[c] /= average;
  }
  switch (transform) {
    case kSigmoid:
      out[0] = 1.0 / (1.0 + std::exp(-sigmoid * out[0]));
      break;
    case kSigmoidPerClass:
      for (int32_t c = 0; c < k; c++) out[c] = 1.0 / (1.0 + std::exp(-sigmoid * out[c]));
      break;
    case kSoftmax: {
      // Common::Softmax
      double wmax = out[0];
      for (int32_t c = 1; c < k; c++) wmax = std::max(out[c], wmax);
      double wsum = 0.0;
      for (int32_t c = 0; c < k; c++) {
        out[c] = std::exp(out[c] - wmax);
        wsum += out[c];
      }
      for (int32_t c = 0; c < k; c++) out[c] /= wsum;
      break;
    }
    case kLog1pExp:
      out[0] = std::log1p(std::exp(out[0]));
      break;
    case kExp:
      out[0] = std::exp(out[0]);
      break;
    case kSignSquare: {
      const double x = out[0];
      out[0] = static_cast<double>((x > 0) - (x < 0)) * x * x;
      break;
    }
    default:
      break;
  }
}

Napi::Function OutputConverter::Init(Napi::Env env) {
  return DefineClass(env, "OutputConverter",
                     {InstanceMethod<&OutputConverter::Convert>("convert"),
                      InstanceMethod<&OutputConverter::BindRow>("bindRow")});
}

OutputConverter::OutputConverter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OutputConverter>(info) {
  Napi::Env env = info.Env();
  conversion_.transform =
      static_cast<int>(IntArg(info, 0, "transform", Conversion::kIdentity, Conversion::kSignSquare));
  if (!info[1].IsNumber()) throw ArgTypeError(env, "sigmoid must be a number");
  conversion_.sigmoid = info[1].As<Napi::Number>().DoubleValue();
  conversion_.k = static_cast<int32_t>(IntArg(info, 2, "k", 1, 1 << 20));
  conversion_.average = static_cast<double>(IntArg(info, 3, "average", 0, INT32_MAX));
}

Napi::Value OutputConverter::Convert(const Napi::CallbackInfo& info) {
  Napi::Float64Array out = Float64ArrayArg(info, 0, "out");
  const int64_t nrow = IntArg(info, 1, "nrow", 0, INT32_MAX);
  const int64_t k = conversion_.k;
  if (static_cast<int64_t>(out.ElementLength()) < nrow * k) {
    throw ArgRangeError(info.Env(), "out has " + std::to_string(out.ElementLength()) + " values, needs " +
                                        std::to_string(nrow * k));
  }
  double* p = out.Data();
  for (int64_t r = 0; r < nrow; r++, p += k) conversion_.Row(p);
  return info.Env().Undefined();
}

namespace {

struct RowCell {
  Conversion conversion;
  double* slot;
};

napi_value RunRow(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  const RowCell* cell = static_cast<const RowCell*>(data);
  cell->conversion.Row(cell->slot);
  return nullptr;
}

void DeleteRowCell(napi_env, void* data, void*) { delete static_cast<RowCell*>(data); }

}  // namespace

Napi::Value OutputConverter::BindRow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float64Array slot = Float64ArrayArg(info, 0, "slot");
  if (static_cast<int64_t>(slot.ElementLength()) != conversion_.k) {
    throw ArgRangeError(env, "slot has " + std::to_string(slot.ElementLength()) + " values, needs " +
                                 std::to_string(conversion_.k));
  }
  auto* cell = new RowCell{conversion_, slot.Data()};
  napi_value fn;
  if (napi_create_function(env, "convert", NAPI_AUTO_LENGTH, RunRow, cell, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, cell, DeleteRowCell, nullptr, nullptr) != napi_ok) {
    delete cell;
    throw Napi::Error::New(env, "could not create the convert function");
  }
  // The function holds the array, so the raw pointer in its cell stays valid as long as it can run.
  Napi::Object holder = Napi::Value(env, fn).As<Napi::Object>();
  holder.Set("slot", slot);
  return holder;
}

}  // namespace lgbm_node
