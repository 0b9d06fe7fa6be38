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
                     {InstanceMethod<&PackedForest::Predict>("predict"),
                      InstanceMethod<&PackedForest::PredictAsync>("predictAsync"),
                     InstanceMethod<&PackedForest::BindRow>("bindRow"),
                      InstanceMethod<&PackedForest::Dispose>("dispose")});
}

Napi::Value PackedForest::Dispose(const Napi::CallbackInfo& info) {
  slot_->forest.reset();
  memory_.Release();
  return info.Env().Undefined();
}

PackedForest::PackedForest(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PackedForest>(info) {
  Napi::Env env = info.Env();
  auto f = std::make_shared<Forest>();
  std::vector<double> rec = CopyArray<double, napi_float64_array>(info, 0, "records", "Float64Array");
  f->roots = CopyArray<int32_t, napi_int32_array>(info, 1, "roots", "Int32Array");
  f->catStart = CopyArray<int32_t, napi_int32_array>(info, 2, "catStart", "Int32Array");
  f->catWords = CopyArray<int32_t, napi_int32_array>(info, 3, "catWords", "Int32Array");
  f->catBits = CopyArray<uint32_t, napi_uint32_array>(info, 4, "catBits", "Uint32Array");
  f->numFeatures = static_cast<int32_t>(IntArg(info, 5, "numFeatures", 1, INT32_MAX >> 3));
  f->k = static_cast<int32_t>(IntArg(info, 6, "treesPerIteration", 1, 1 << 20));
  f->transform = static_cast<int>(IntArg(info, 7, "transform", Forest::kIdentity, Forest::kSignSquare));
  if (!info[8].IsNumber()) throw ArgTypeError(env, "sigmoid must be a number");
  f->sigmoid = info[8].As<Napi::Number>().DoubleValue();
  f->averageOutput = info[9].ToBoolean().Value();

  if (rec.size() % 2 != 0) throw ArgRangeError(env, "records must hold 2 values per record");
  static_assert(sizeof(Forest::Record) == 16, "a record is 16 bytes, as in the js layout");
  f->records.resize(rec.size() / 2);
  std::memcpy(f->records.data(), rec.data(), rec.size() * sizeof(double));

  // Check the structure once so that LeafOf needs no checks: every internal record's children come
  // after it (so a walk always ends) and inside the array, features are in range, bitsets inside catBits.
  const int64_t n = static_cast<int64_t>(f->records.size());
  const bool anyCat = !f->catStart.empty();
  if (anyCat && (static_cast<int64_t>(f->catStart.size()) != n || static_cast<int64_t>(f->catWords.size()) != n)) {
    throw ArgRangeError(env, "catStart and catWords must have one entry per record");
  }
  for (int64_t i = 0; i < n; i++) {
    const Forest::Record& r = f->records[i];
    const int kind = r.fk & 7;
    if (kind == kKindLeaf) continue;
    const int64_t feature = static_cast<uint32_t>(r.fk) >> 3;
    const bool ok =
        kind <= kKindCategorical && i + 1 < n && r.right > i + 1 && r.right < n && feature < f->numFeatures &&
        (kind != kKindCategorical ||
         (anyCat && f->catStart[i] >= 0 && f->catWords[i] >= 0 &&
          static_cast<int64_t>(f->catStart[i]) + f->catWords[i] <= static_cast<int64_t>(f->catBits.size())));
    if (!ok) throw ArgRangeError(env, "record " + std::to_string(i) + " of the packed trees is invalid");
  }
  if (f->roots.empty() || f->roots.size() % f->k != 0) {
    throw ArgRangeError(env, "the number of trees must be a positive multiple of treesPerIteration");
  }
  for (int32_t r : f->roots) {
    if (r < 0 || r >= n) throw ArgRangeError(env, "a tree root is out of range");
  }
  bool numericOnly = n < (INT32_MAX >> 4);
  for (const Forest::Record& r : f->records) {
    const int kind = r.fk & 7;
    if (kind != kKindLeaf && kind > kKindNumNanLeft) numericOnly = false;
  }
  if (numericOnly) {
    static_assert(sizeof(Forest::NumericRecord) == 16, "record i is at byte 16 * i");
    f->numeric.reserve(f->records.size());
    for (const Forest::Record& r : f->records) {
      const bool leaf = (r.fk & 7) == kKindLeaf;
      f->numeric.push_back({r.value, leaf ? -1 : static_cast<int32_t>((static_cast<uint32_t>(r.fk) >> 3) * 8),
                            leaf ? 0 : r.right * 16});
    }
  }
  const size_t bytes = sizeof(Forest) + f->records.size() * sizeof(Forest::Record) +
                       f->numeric.size() * sizeof(Forest::NumericRecord) +
                       (f->roots.size() + f->catStart.size() + f->catWords.size() + f->catBits.size()) * 4;
  slot_->forest = std::move(f);
  memory_.Report(env, static_cast<int64_t>(bytes));
}

// Tree::GetLeaf with Tree::NumericalDecision / CategoricalDecision, as in the js engine's leafRecord
// (src/engines/js/evaluate.ts, which explains each case).
inline const Forest::Record* Forest::LeafOf(const double* row, int32_t n) const {
  const Record* recs = records.data();
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
        left = w < static_cast<uint32_t>(catWords[n]) && ((catBits[catStart[n] + w] >> (iv & 31)) & 1) == 1;
      }
    }
    n = left ? n + 1 : r.right;
  }
}

// LeafOf(row, n)->value, for a forest with `numeric` records and a row without NaN. Kinds 0 and 1
// differ only in where NaN goes (v <= t, or !(v > t)); without NaN both are v <= t. Offsets are in
// bytes, so a step is a few loads, one comparison and a conditional move: which child a row takes is
// data, and a mispredicted branch at every node cost more than the select.
inline double Forest::NumericLeafValue(const double* row, int32_t n) const {
  const char* base = reinterpret_cast<const char*>(numeric.data());
  const char* x = reinterpret_cast<const char*>(row);
  int64_t at = static_cast<int64_t>(n) * 16;
  for (;;) {
    const NumericRecord& r = *reinterpret_cast<const NumericRecord*>(base + at);
    if (r.featureByte < 0) return r.value;
    const double v = *reinterpret_cast<const double*>(x + r.featureByte);
    const int64_t right = r.rightByte;
    // (a 50% branch to the compiler: it emits a conditional move)
    at = __builtin_expect_with_probability(v <= r.value, 1, 0.5) ? at + 16 : right;
  }
}

// The objective's ConvertOutput (src/objective/*.hpp), with the same libm calls as LightGBM.
void Forest::ConvertOutput(double* out) const {
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

void Forest::Predict(const double* x, int64_t nrow, double* out, bool raw) const {
  const size_t numTrees = roots.size();
  const double iterations = static_cast<double>(numTrees / k);
  const int32_t* root = roots.data();
  for (int64_t r = 0; r < nrow; r++, x += numFeatures, out += k) {
    // GBDT::PredictRaw: per class, 0.0 plus each of its trees in model order.
    bool plain = !numeric.empty();
    for (int32_t f = 0; plain && f < numFeatures; f++) plain = !std::isnan(x[f]);
    if (plain && k == 1) {
      double sum = 0.0;  // the same additions in the same order as below
      for (size_t t = 0; t < numTrees; t++) sum += NumericLeafValue(x, root[t]);
      out[0] = sum;
    } else {
      for (int32_t c = 0; c < k; c++) out[c] = 0.0;
      for (size_t t = 0, c = 0; t < numTrees; t++) {
        out[c] += plain ? NumericLeafValue(x, root[t]) : LeafOf(x, root[t])->value;
        if (++c == static_cast<size_t>(k)) c = 0;
      }
    }
    if (raw) continue;
    // GBDT::Predict: random forests average over the iterations, then the objective converts.
    if (averageOutput) {
      for (int32_t c = 0; c < k; c++) out[c] /= iterations;
    }
    ConvertOutput(out);
  }
}

const Forest& PackedForest::CheckArgs(const Napi::CallbackInfo& info, Napi::Float64Array& data, int64_t& nrow,
                                      Napi::Float64Array& out) {
  Napi::Env env = info.Env();
  if (!slot_->forest) {
    throw DisposedError(env);
  }
  const Forest& f = *slot_->forest;
  data = Float64ArrayArg(info, 0, "data");
  nrow = IntArg(info, 1, "nrow", 0, INT32_MAX);
  out = Float64ArrayArg(info, 2, "out");
  if (static_cast<int64_t>(data.ElementLength()) != nrow * f.numFeatures) {
    throw ArgRangeError(env, "data has " + std::to_string(data.ElementLength()) + " values, expected nrow * ncol = " +
                                 std::to_string(nrow * f.numFeatures));
  }
  if (static_cast<int64_t>(out.ElementLength()) < nrow * f.k) {
    throw ArgRangeError(env, "out has " + std::to_string(out.ElementLength()) + " values, needs " +
                                 std::to_string(nrow * f.k));
  }
  return f;
}

Napi::Value PackedForest::Predict(const Napi::CallbackInfo& info) {
  Napi::Float64Array data, out;
  int64_t nrow = 0;
  const Forest& f = CheckArgs(info, data, nrow, out);
  f.Predict(data.Data(), nrow, out.Data(), info[3].ToBoolean().Value());
  return info.Env().Undefined();
}

namespace {

// The baton of an async kernel call: the forest and both buffers stay alive until it is done. It reports
// through a callback, not a promise, for the reason given in predict_worker.h (no leak when a
// worker_thread is terminated during the call).
class ForestWorker : public Napi::AsyncWorker {
 public:
  ForestWorker(Napi::Function done, std::shared_ptr<const Forest> forest, Napi::Float64Array data, int64_t nrow,
               Napi::Float64Array out, bool raw)
      : Napi::AsyncWorker(done, "lightgbm-node:packed-predict"),
        forest_(std::move(forest)),
        dataRef_(Napi::Persistent(data.As<Napi::Object>())),
        outRef_(Napi::Persistent(out.As<Napi::Object>())),
        data_(data.Data()),
        out_(out.Data()),
        nrow_(nrow),
        raw_(raw) {}

 protected:
  void Execute() override { forest_->Predict(data_, nrow_, out_, raw_); }  // no JS values here
  void OnOK() override { Callback().Call({Env().Null(), outRef_.Value()}); }

 private:
  std::shared_ptr<const Forest> forest_;
  Napi::ObjectReference dataRef_, outRef_;
  const double* data_;
  double* out_;
  int64_t nrow_;
  bool raw_;
};

}  // namespace

// predictAsync(data, nrow, out, raw, done): done(err, out) on the JS thread.
Napi::Value PackedForest::PredictAsync(const Napi::CallbackInfo& info) {
  Napi::Float64Array data, out;
  int64_t nrow = 0;
  CheckArgs(info, data, nrow, out);
  if (!info[4].IsFunction()) throw ArgTypeError(info.Env(), "done must be a function");
  auto* worker =
      new ForestWorker(info[4].As<Napi::Function>(), slot_->forest, data, nrow, out, info[3].ToBoolean().Value());
  worker->Queue();  // deleted by node-addon-api when done, also when its environment is torn down
  return info.Env().Undefined();
}

namespace {

// What a bound row function needs; owned by the function (freed by its finalizer).
struct RowCell {
  std::shared_ptr<ForestSlot> slot;
  const double* in;
  double* out;
  bool raw;
};

napi_value RunRow(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  const RowCell* cell = static_cast<const RowCell*>(data);
  const Forest* f = cell->slot->forest.get();
  if (f == nullptr) {
    napi_throw_error(env, "ERR_DISPOSED", "the model has been disposed");
    return nullptr;
  }
  f->Predict(cell->in, 1, cell->out, cell->raw);
  return nullptr;
}

void DeleteRowCell(napi_env, void* data, void*) { delete static_cast<RowCell*>(data); }

}  // namespace

Napi::Value PackedForest::BindRow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!slot_->forest) {
    throw DisposedError(env);
  }
  const Forest& f = *slot_->forest;
  Napi::Float64Array input = Float64ArrayArg(info, 0, "input");
  Napi::Float64Array output = Float64ArrayArg(info, 1, "output");
  if (static_cast<int64_t>(input.ElementLength()) != f.numFeatures) {
    throw ArgRangeError(env, "input has " + std::to_string(input.ElementLength()) + " values but the model has " +
                                 std::to_string(f.numFeatures) + " features");
  }
  if (static_cast<int64_t>(output.ElementLength()) != f.k) {
    throw ArgRangeError(env, "output has " + std::to_string(output.ElementLength()) + " values, needs " +
                                 std::to_string(f.k));
  }
  auto* cell = new RowCell{slot_, input.Data(), output.Data(), info[2].ToBoolean().Value()};
  napi_value fn;
  if (napi_create_function(env, "run", NAPI_AUTO_LENGTH, RunRow, cell, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, cell, DeleteRowCell, nullptr, nullptr) != napi_ok) {
    delete cell;
    throw Napi::Error::New(env, "could not create the run function");
  }
  // The function holds the arrays, so the raw pointers in its cell stay valid as long as it can run.
  Napi::Object holder = Napi::Value(env, fn).As<Napi::Object>();
  holder.Set("input", input);
  holder.Set("output", output);
  return holder;
}

}  // namespace lgbm_node
