// LightGBM 4.7's Log::Fatal prints "[LightGBM] [Fatal] <message>" to stderr with fprintf before it
// throws, whatever log callback is registered (the callback only sees Info/Warning/Debug lines). A
// library must not write to its host's stderr, so we redirect lib_lightgbm's own fprintf: its PLT/GOT
// slot for `fprintf` is pointed at a function that routes LightGBM's lines to our log capture (and so
// to the JS logger) and passes anything else through to the real vfprintf.
//
// Written by hand because no library does this for a single symbol of one shared object; plthook
// (MIT) does the same in about a thousand lines for every platform. This does only what we need:
// ELF (Linux), the one slot, found through the library's dynamic section. If anything is not as
// expected, it changes nothing and LightGBM keeps printing, which is the old behaviour.
#include "stderr_hook.h"

#if defined(__linux__)
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "log_capture.h"
#endif

namespace lgbm_node {

#if defined(__linux__)
namespace {

constexpr const char kPrefix[] = "[LightGBM] ";

inline size_t RelSym(ElfW(Xword) info) {
#if __SIZEOF_POINTER__ == 8
  return ELF64_R_SYM(info);
#else
  return ELF32_R_SYM(info);
#endif
}

int RoutedFprintf(FILE* stream, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int n;
  if (stream == stderr && format != nullptr && std::strncmp(format, kPrefix, sizeof(kPrefix) - 1) == 0) {
    char buf[1024];
    n = std::vsnprintf(buf, sizeof(buf), format, args);
    CaptureLogLine(buf);
  } else {
    n = std::vfprintf(stream, format, args);
  }
  va_end(args);
  return n;
}

struct Found {
  const char* needle;
  ElfW(Addr) base = 0;
  const ElfW(Dyn)* dynamic = nullptr;
  uintptr_t relroStart = 0, relroEnd = 0;  // made read-only after relocation (PT_GNU_RELRO)
};

int FindLibrary(struct dl_phdr_info* info, size_t, void* data) {
  auto* found = static_cast<Found*>(data);
  if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, found->needle) == nullptr) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_DYNAMIC) {
      found->base = info->dlpi_addr;
      found->dynamic = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + ph.p_vaddr);
    } else if (ph.p_type == PT_GNU_RELRO) {
      found->relroStart = info->dlpi_addr + ph.p_vaddr;
      found->relroEnd = found->relroStart + ph.p_memsz;
    }
  }
  return found->dynamic != nullptr ? 1 : 0;
}

// The dynamic section's pointers are already relocated by the loader on glibc; on others they are
// offsets from the load base.
template <typename T>
T* DynPtr(ElfW(Addr) base, ElfW(Addr) value) {
#if defined(__GLIBC__)
  (void)base;
  return reinterpret_cast<T*>(value);
#else
  return reinterpret_cast<T*>(value < base ? base + value : value);
#endif
}

bool PatchSlot(const Found& lib, void** slot, void* replacement) {
  auto at = reinterpret_cast<uintptr_t>(slot);
  const long page = sysconf(_SC_PAGESIZE);
  const auto mask = ~static_cast<uintptr_t>(page - 1);
  // The loader makes only the whole pages of the RELRO range read-only (its end is rounded down).
  if (at < lib.relroStart || at >= (lib.relroEnd & mask)) {
    *slot = replacement;  // a writable GOT (no full RELRO)
    return true;
  }
  // Full RELRO made this page read-only after relocation: open it for the one write, then close it.
  auto start = at & mask;
  if (mprotect(reinterpret_cast<void*>(start), page, PROT_READ | PROT_WRITE) != 0) return false;
  *slot = replacement;
  mprotect(reinterpret_cast<void*>(start), page, PROT_READ);
  return true;
}

int HookOnce() {
  Found found{"lib_lightgbm"};
  dl_iterate_phdr(FindLibrary, &found);
  if (found.dynamic == nullptr) return 0;
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Rela)* tables[2] = {nullptr, nullptr};  // PLT relocations, other relocations (-fno-plt)
  size_t sizes[2] = {0, 0};
  bool rela = true;
  for (const ElfW(Dyn)* d = found.dynamic; d->d_tag != DT_NULL; d++) {
    switch (d->d_tag) {
      case DT_SYMTAB: symtab = DynPtr<const ElfW(Sym)>(found.base, d->d_un.d_ptr); break;
      case DT_STRTAB: strtab = DynPtr<const char>(found.base, d->d_un.d_ptr); break;
      case DT_JMPREL: tables[0] = DynPtr<const ElfW(Rela)>(found.base, d->d_un.d_ptr); break;
      case DT_PLTRELSZ: sizes[0] = d->d_un.d_val; break;
      case DT_RELA: tables[1] = DynPtr<const ElfW(Rela)>(found.base, d->d_un.d_ptr); break;
      case DT_RELASZ: sizes[1] = d->d_un.d_val; break;
      case DT_PLTREL: rela = d->d_un.d_val == DT_RELA; break;
      default: break;
    }
  }
  if (symtab == nullptr || strtab == nullptr || !rela) return 0;  // x86_64 and aarch64 use RELA
  int patched = 0;
  for (int t = 0; t < 2; t++) {
    if (tables[t] == nullptr) continue;
    for (size_t i = 0; i < sizes[t] / sizeof(ElfW(Rela)); i++) {
      const ElfW(Rela)& r = tables[t][i];
      const ElfW(Sym)& sym = symtab[RelSym(r.r_info)];
      if (RelSym(r.r_info) == 0 || std::strcmp(strtab + sym.st_name, "fprintf") != 0) continue;
      if (PatchSlot(found, reinterpret_cast<void**>(found.base + r.r_offset), reinterpret_cast<void*>(&RoutedFprintf))) {
        patched++;
      }
    }
  }
  return patched;
}

}  // namespace

int RouteLightGBMStderr() {
  static std::once_flag once;
  static int patched = 0;
  std::call_once(once, [] { patched = HookOnce(); });
  return patched;
}

#else

int RouteLightGBMStderr() { return 0; }

#endif

}  // namespace lgbm_node
