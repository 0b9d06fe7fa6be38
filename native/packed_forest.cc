#include "packed_forest.h"

#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "errors.h"

namespace lgbm_node {

namespace {

constexpr int kKindNumNanLeft = 1;
constexpr int kKindZeroLeft = 3;
constexpr int kKindCategorical = 4;
constexpr int kKindLeaf = 7;
// LightGBM's kZeroThreshold: the float literal 1e-35f widened to double.
const double kZero = static_cast<double>(1e-35f);

template <typename T, napi_typedarray_type Type>
std::vector<T> CopyArray(const Napi::CallbackInfo& info, size_t i, const char* name, const char* jsType) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Type) {
    throw ArgTypeError(info.Env(), std::string(name) + " must be a " + jsType);
  }
  auto a = v.As<Napi::TypedArrayOf<T>>();
  return std::vector<T>(a.Data(), a.Data() + a.ElementLength());
}

}  // namespace

Napi::Function PackedForest::Init(Napi::Env env) {
  return DefineClass(env, "PackedForest",
                     {InstanceMethod<&PackedForest::Predict>("predict"), InstanceMethod<&PackedForest::Dispose>("dispose")});
}

Napi::Value PackedForest::Dispose(const Napi::CallbackInfo& info) {
  disposed_ = true;
  std::vector<Record>().swap(records_);
  std::vector<int32_t>().swap(roots_);
  std::vector<int32_t>().swap(catStart_);
  std::vector<int32_t>().swap(catWords_);
  std::vector<uint32_t>().swap(catBits_);
  return info.Env().Undefined();
}

PackedForest::PackedForest(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PackedForest>(info) {
  Napi::Env env = info.Env();
  std::vector<double> rec = CopyArray<double, napi_float64_array>(info, 0, "records", "Float64Array");
  roots_ = CopyArray<int32_t, napi_int32_array>(info, 1, "roots", "Int32Array");
  catStart_ = CopyArray<int32_t, napi_int32_array>(info, 2, "catStart", "Int32Array");
  catWords_ = CopyArray<int32_t, napi_int32_array>(info, 3, "catWords", "Int32Array");
  catBits_ = CopyArray<uint32_t, napi_uint32_array>(info, 4, "catBits", "Uint32Array");
  numFeatures_ = static_cast<int32_t>(IntArg(info, 5, "numFeatures", 1, INT32_MAX >> 3));
  k_ = static_cast<int32_t>(IntArg(info, 6, "treesPerIteration", 1, 1 << 20));
  transform_ = static_cast<int>(IntArg(info, 7, "transform", kIdentity, kSignSquare));
  if (!info[8].IsNumber()) throw ArgTypeError(env, "sigmoid must be a number");
  sigmoid_ = info[8].As<Napi::Number>().DoubleValue();
  averageOutput_ = info[9].ToBoolean().Value();

  if (rec.size() % 2 != 0) throw ArgRangeError(env, "records must hold 2 values per record");
  static_assert(sizeof(Record) == 16, "a record is 16 bytes, as in the js layout");
  records_.resize(rec.size() / 2);
  std::memcpy(records_.data(), rec.data(), rec.size() * sizeof(double));

  // Check the structure once so that LeafOf needs no checks: every internal record's children come
  // after it (so a walk always ends) and inside the array, features are in range, bitsets inside catBits.
  const int64_t n = static_cast<int64_t>(records_.size());
  const bool anyCat = !catStart_.empty();
  if (anyCat && (static_cast<int64_t>(catStart_.size()) != n || static_cast<int64_t>(catWords_.size()) != n)) {
    throw ArgRangeError(env, "catStart and catWords must have one entry per record");
  }
  for (int64_t i = 0; i < n; i++) {
    const Record& r = records_[i];
    const int kind = r.fk & 7;
    if (kind == kKindLeaf) continue;
    const int64_t feature = static_cast<uint32_t>(r.fk) >> 3;
    const bool ok = kind <= kKindCategorical && i + 1 < n && r.right > i + 1 && r.right < n && feature < numFeatures_ &&
                    (kind != kKindCategorical ||
                     (anyCat && catStart_[i] >= 0 && catWords_[i] >= 0 &&
                      static_cast<int64_t>(catStart_[i]) + catWords_[i] <= static_cast<int64_t>(catBits_.size())));
    if (!ok) throw ArgRangeError(env, "record " + std::to_string(i) + " of the packed trees is invalid");
  }
  if (roots_.empty() || roots_.size() % k_ != 0) {
    throw ArgRangeError(env, "the number of trees must be a positive multiple of treesPerIteration");
  }
  for (int32_t r : roots_) {
    if (r < 0 || r >= n) throw ArgRangeError(env, "a tree root is out of range");
  }
}

// Tree::GetLeaf with Tree::NumericalDecision / CategoricalDecision, as in the js engine's leafRecord
// (src/engines/js/evaluate.ts, which explains each case).
inline const PackedForest::Record* PackedForest::LeafOf(const double* row, int32_t n) const {
  const Record* recs = records_.data();
  for (;;) {
    const Record& r = recs[n];
    const int kind = r.fk & 7;
    if (kind == kKindLeaf) return &r;
    const double v = row[static_cast<uint32_t>(r.fk) >> 3];
    bool left;
    if (kind <= kKindNumNanLeft) {
      left = v <= r.value || (kind == kKindNumNanLeft && std::isnan(v));
    } else if (kind <= kKindZeroLeft) {
      left = (std::isnan(v) || (v >= -kZero && v <= kZero)) ? kind == kKindZeroLeft : v <= r.value;
    } else {
      left = false;
      if (v > -1 && v < 2147483648.0) {
        const uint32_t iv = static_cast<uint32_t>(static_cast<int32_t>(v));
        const uint32_t w = iv >> 5;
        left = w < static_cast<uint32_t>(catWords_[n]) && ((catBits_[catStart_[n] + w] >> (iv & 31)) & 1) == 1;
      }
    }
    n = left ? n + 1 : r.right;
  }
}

// The objective's ConvertOutput (src/objective/*.hpp), with the same libm calls as LightGBM.
void PackedForest::ConvertOutput(double* out) const {
  switch (transform_) {
    case kSigmoid:
      out[0] = 1.0 / (1.0 + std::exp(-sigmoid_ * out[0]));
      break;
    case kSigmoidPerClass:
      for (int32_t c = 0; c < k_; c++) out[c] = 1.0 / (1.0 + std::exp(-sigmoid_ * out[c]));
      break;
    case kSoftmax: {
      // Common::Softmax
      double wmax = out[0];
      for (int32_t c = 1; c < k_; c++) wmax = std::max(out[c], wmax);
      double wsum = 0.0;
      for (int32_t c = 0; c < k_; c++) {
        out[c] = std::exp(out[c] - wmax);
        wsum += out[c];
      }
      for (int32_t c = 0; c < k_; c++) out[c] /= wsum;
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

Napi::Value PackedForest::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float64Array data = Float64ArrayArg(info, 0, "data");
  const int64_t nrow = IntArg(info, 1, "nrow", 0, INT32_MAX);
  Napi::Float64Array outArr = Float64ArrayArg(info, 2, "out");
  const bool raw = info[3].ToBoolean().Value();
  if (disposed_) {
    Napi::Error err = Napi::Error::New(env, "the model has been disposed");
    err.Value().Set("code", Napi::String::New(env, "ERR_DISPOSED"));
    throw err;
  }
  if (static_cast<int64_t>(data.ElementLength()) != nrow * numFeatures_) {
    throw ArgRangeError(env, "data has " + std::to_string(data.ElementLength()) + " values, expected nrow * ncol = " +
                                 std::to_string(nrow * numFeatures_));
  }
  if (static_cast<int64_t>(outArr.ElementLength()) < nrow * k_) {
    throw ArgRangeError(env, "out has " + std::to_string(outArr.ElementLength()) + " values, needs " +
                                 std::to_string(nrow * k_));
  }
  const double* x = data.Data();
  double* out = outArr.Data();
  const size_t numTrees = roots_.size();
  const double iterations = static_cast<double>(numTrees / k_);
  for (int64_t r = 0; r < nrow; r++, x += numFeatures_, out += k_) {
    // GBDT::PredictRaw: per class, 0.0 plus each of its trees in model order.
    for (int32_t c = 0; c < k_; c++) out[c] = 0.0;
    for (size_t t = 0, c = 0; t < numTrees; t++) {
      out[c] += LeafOf(x, roots_[t])->value;
      if (++c == static_cast<size_t>(k_)) c = 0;
    }
    if (raw) continue;
    // GBDT::Predict: random forests average over the iterations, then the objective converts.
    if (averageOutput_) {
      for (int32_t c = 0; c < k_; c++) out[c] /= iterations;
    }
    ConvertOutput(out);
  }
  return env.Undefined();
}

}  // namespace lgbm_node
