#include "table_walk.h"

#include <string>

#include "args.h"
#include "errors.h"

namespace lgbm_node {

namespace {

// A typed array's bytes (any element type: the rank rows are read from a view on WebAssembly memory).
struct ByteView {
  const uint8_t* data;
  size_t length;
};

ByteView BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsTypedArray()) throw ArgTypeError(info.Env(), std::string(name) + " must be a typed array");
  // napi_get_typedarray_info gives the data of views on a SharedArrayBuffer (WebAssembly's shared memory)
  // too, where napi_get_arraybuffer_info refuses the buffer
  napi_typedarray_type type;
  size_t count = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[i], &type, &count, &data, nullptr, nullptr) != napi_ok) {
    throw ArgTypeError(info.Env(), std::string(name) + " could not be read");
  }
  return {static_cast<const uint8_t*>(data), info[i].As<Napi::TypedArray>().ByteLength()};
}

}  // namespace

Napi::Function TableWalk::Init(Napi::Env env) {
  return DefineClass(env, "TableWalk",
                     {InstanceMethod<&TableWalk::Run>("run"), InstanceMethod<&TableWalk::BindRow>("bindRow"),
                      InstanceAccessor<&TableWalk::Isa>("isa"), InstanceAccessor<&TableWalk::Bytes>("bytes"),
                      StaticMethod<&TableWalk::Isas>("isas")});
}

TableWalk::TableWalk(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TableWalk>(info) {
  Napi::Env env = info.Env();
  const ByteView tables = BytesArg(info, 0, "tables");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() != 8) {
    throw ArgTypeError(env, "spec must be an Int32Array of 8 values");
  }
  const int32_t* v = info[1].As<Napi::Int32Array>().Data();
  const WalkSpec spec{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] != 0};
  const std::string want = StringArg(info, 2, "isa");
  const WalkIsa best = BestWalkIsa();
  if (want == "auto") {
    isa_ = best;
  } else if (want == "avx512" || want == "avx2") {
    isa_ = want == "avx512" ? WalkIsa::kAvx512 : WalkIsa::kAvx2;
    if (static_cast<int>(isa_) > static_cast<int>(best)) {
      throw ArgRangeError(env, "this CPU does not run the " + want + " table walk (it runs: " + WalkIsaName(best) + ")");
    }
  } else {
    throw ArgRangeError(env, "isa must be \"auto\", \"avx512\" or \"avx2\", got \"" + want + "\"");
  }
  if (isa_ == WalkIsa::kNone) throw ArgRangeError(env, "this CPU has no table-walk kernel (AVX2 or AVX-512)");
  forest_ = std::make_shared<WalkForest>();
  const std::string bad = BuildWalkForest(tables.data, tables.length, spec, forest_.get());
  if (!bad.empty()) throw ArgRangeError(env, "walk tables refused: " + bad);
  scratch_ = std::make_shared<WalkScratch>(spec.numTrees);
  external_.Report(env, static_cast<int64_t>(HeldBytes()));
}

Napi::Value TableWalk::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ByteView ranks = BytesArg(info, 0, "ranks");
  const int64_t n = IntArg(info, 1, "n", 0, INT32_MAX);
  Napi::Float64Array out = Float64ArrayArg(info, 2, "out");
  const WalkForest& f = *forest_;
  if (static_cast<int64_t>(ranks.length) < n * f.rankRowBytes) {
    throw ArgRangeError(env, "ranks has " + std::to_string(ranks.length) + " bytes, needs " +
                                 std::to_string(n * f.rankRowBytes));
  }
  if (static_cast<int64_t>(out.ElementLength()) < n * f.k) {
    throw ArgRangeError(env, "out has " + std::to_string(out.ElementLength()) + " values, needs " +
                                 std::to_string(n * f.k));
  }
  WalkRows(f, isa_, ranks.data, n, out.Data(), scratch_.get());
  return env.Undefined();
}

namespace {

struct RowCell {
  std::shared_ptr<WalkForest> forest;
  std::shared_ptr<WalkScratch> scratch;
  WalkIsa isa;
  const uint8_t* ranks;
  double* out;
};

napi_value RunRow(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data);
  const RowCell* c = static_cast<const RowCell*>(data);
  WalkRows(*c->forest, c->isa, c->ranks, 1, c->out, c->scratch.get());
  return nullptr;
}

void DeleteRowCell(napi_env, void* data, void*) { delete static_cast<RowCell*>(data); }

}  // namespace

Napi::Value TableWalk::BindRow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ByteView ranks = BytesArg(info, 0, "ranks");
  Napi::Float64Array out = Float64ArrayArg(info, 1, "out");
  if (static_cast<int64_t>(ranks.length) < forest_->rankRowBytes) {
    throw ArgRangeError(env, "ranks has " + std::to_string(ranks.length) + " bytes, needs " +
                                 std::to_string(forest_->rankRowBytes));
  }
  if (static_cast<int64_t>(out.ElementLength()) < forest_->k) {
    throw ArgRangeError(env, "out needs " + std::to_string(forest_->k) + " values");
  }
  auto* cell = new RowCell{forest_, scratch_, isa_, ranks.data, out.Data()};
  napi_value fn;
  if (napi_create_function(env, "walkRow", NAPI_AUTO_LENGTH, RunRow, cell, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, cell, DeleteRowCell, nullptr, nullptr) != napi_ok) {
    delete cell;
    throw Napi::Error::New(env, "could not create the walk function");
  }
  // The function holds both arrays (and their buffers), so the raw pointers stay valid while it can run.
  Napi::Object holder = Napi::Value(env, fn).As<Napi::Object>();
  holder.Set("ranks", info[0]);
  holder.Set("out", out);
  return holder;
}

size_t TableWalk::HeldBytes() const {
  const WalkForest& f = *forest_;
  return f.mem.size() + scratch_->Bytes() +
         4 * (f.root.size() + f.leafAddr.size() + f.output.size() + f.rootsExt.size() + f.rowOffExt.size());
}

Napi::Value TableWalk::Bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(HeldBytes()));
}

Napi::Value TableWalk::Isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), WalkIsaName(isa_));
}

Napi::Value TableWalk::Isas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const WalkIsa best = BestWalkIsa();
  Napi::Array list = Napi::Array::New(env);
  if (best == WalkIsa::kAvx512) list.Set(list.Length(), "avx512");
  if (best != WalkIsa::kNone) list.Set(list.Length(), "avx2");
  return list;
}

}  // namespace lgbm_node
