#include "row_loan.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include "addon_data.h"
#include "args.h"
#include "errors.h"

namespace lgbm_node {

namespace {

struct Loan {
  uint8_t* data;
  size_t bytes;
  const void* owner;
  // an output loan: copyToLent writes into it (a row loan is only read)
  bool writable;
};

// Process-wide: the loan is made on one thread (the caller's environment) and read on others.
std::shared_mutex registry_mutex;
std::unordered_map<uint32_t, Loan> loans;
std::atomic<uint32_t> next_token{0};

uint32_t TokenArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw ArgTypeError(info.Env(), "token must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 1 && v <= 2147483647.0 && std::floor(v) == v)) throw ArgRangeError(info.Env(), "token is not a loan");
  return static_cast<uint32_t>(v);
}

// A byte offset or length: an integer in [0, 2^53).
size_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw ArgTypeError(info.Env(), std::string(name) + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 9007199254740991.0 && std::floor(v) == v)) {
    throw ArgRangeError(info.Env(), std::string(name) + " must be a non-negative integer");
  }
  return static_cast<size_t>(v);
}

}  // namespace

namespace {

Napi::Value Lend(const Napi::CallbackInfo& info, const char* name, bool writable) {
  Napi::Float64Array data = Float64ArrayArg(info, 0, name);
  const Loan loan{reinterpret_cast<uint8_t*>(data.Data()), data.ByteLength(), GetAddonData(info.Env()), writable};
  std::unique_lock lock(registry_mutex);
  // tokens travel in an Int32Array slot: 1 .. 2^31 - 1 (0 means "no loan"), never one still open
  uint32_t token;
  do {
    token = next_token.fetch_add(1, std::memory_order_relaxed) % 0x7fffffffu + 1;
  } while (loans.count(token) != 0);
  loans.emplace(token, loan);
  return Napi::Number::New(info.Env(), token);
}

// A typed array argument (a view on a SharedArrayBuffer too: WebAssembly's shared memory): its data and
// byte length.
std::pair<uint8_t*, size_t> TypedArrayBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  if (!info[i].IsTypedArray()) throw ArgTypeError(env, std::string(name) + " must be a typed array");
  // napi_get_typedarray_info reads views on a SharedArrayBuffer too; data is at the view's offset
  napi_typedarray_type type;
  size_t count = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, info[i], &type, &count, &data, nullptr, nullptr) != napi_ok) {
    throw ArgTypeError(env, std::string(name) + " could not be read");
  }
  return {static_cast<uint8_t*>(data), info[i].As<Napi::TypedArray>().ByteLength()};
}

}  // namespace

Napi::Value LendRows(const Napi::CallbackInfo& info) { return Lend(info, "data", false); }

Napi::Value LendOutput(const Napi::CallbackInfo& info) { return Lend(info, "out", true); }

Napi::Value EndLoan(const Napi::CallbackInfo& info) {
  const uint32_t token = TokenArg(info, 0);
  std::unique_lock lock(registry_mutex);
  loans.erase(token);
  return info.Env().Undefined();
}

Napi::Value CopyLent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t token = TokenArg(info, 0);
  const size_t src = SizeArg(info, 1, "srcByte");
  const auto [dst_data, dst_bytes] = TypedArrayBytes(info, 2, "dst");
  const size_t dst = SizeArg(info, 3, "dstByte");
  const size_t bytes = SizeArg(info, 4, "bytes");
  if (dst > dst_bytes || bytes > dst_bytes - dst) throw ArgRangeError(env, "the copy does not fit in dst");
  std::shared_lock lock(registry_mutex);
  const auto it = loans.find(token);
  if (it == loans.end()) return Napi::Boolean::New(env, false);
  const Loan& loan = it->second;
  if (src > loan.bytes || bytes > loan.bytes - src) throw ArgRangeError(env, "the copy is outside the lent rows");
  std::memcpy(dst_data + dst, loan.data + src, bytes);
  return Napi::Boolean::New(env, true);
}

Napi::Value CopyToLent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t token = TokenArg(info, 0);
  const auto [src_data, src_bytes] = TypedArrayBytes(info, 1, "src");
  const size_t src = SizeArg(info, 2, "srcByte");
  const size_t dst = SizeArg(info, 3, "dstByte");
  const size_t bytes = SizeArg(info, 4, "bytes");
  if (src > src_bytes || bytes > src_bytes - src) throw ArgRangeError(env, "the copy is outside src");
  std::shared_lock lock(registry_mutex);
  const auto it = loans.find(token);
  if (it == loans.end()) return Napi::Boolean::New(env, false);
  const Loan& loan = it->second;
  if (!loan.writable) throw ArgRangeError(env, "the loan is not an output loan");
  if (dst > loan.bytes || bytes > loan.bytes - dst) throw ArgRangeError(env, "the copy is outside the lent output");
  // threads write disjoint blocks of the output under the shared lock; ending the loan waits for them
  std::memcpy(loan.data + dst, src_data + src, bytes);
  return Napi::Boolean::New(env, true);
}

Napi::Value OpenLoans(const Napi::CallbackInfo& info) {
  std::shared_lock lock(registry_mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(loans.size()));
}

void EndLoansOf(const void* owner) {
  std::unique_lock lock(registry_mutex);
  for (auto it = loans.begin(); it != loans.end();) it = it->second.owner == owner ? loans.erase(it) : std::next(it);
}

}  // namespace lgbm_node
