/**
 * Whether this machine's C library computes exp and log1p the way src/model-text/libm/ reproduces them:
 * glibc on x86-64 picks its FMA variants (`__exp_fma`, `__log1p_fma`) when the CPU has FMA and AVX2.
 * There, every engine's transformed outputs must be LightGBM's bits; on other CPUs or C libraries the
 * native engine uses that library's exp, which may differ in the last bit, so tests compare to 1e-15.
 */
import { readFileSync } from "node:fs";

function glibcFma(): boolean {
  if (process.platform !== "linux" || process.arch !== "x64") return false;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (!report?.header?.glibcVersionRuntime) return false;
  try {
    const flags =
      readFileSync("/proc/cpuinfo", "utf8")
        .match(/^flags\s*:(.*)$/m)?.[1]
        .split(/\s+/) ?? [];
    return flags.includes("fma") && flags.includes("avx2");
  } catch {
    return false;
  }
}

export const LIBM_EXACT = glibcFma();
if (!LIBM_EXACT)
  console.warn("exp/log1p are not glibc's FMA variants here: transformed outputs compared to 1e-15");

/** Largest relative difference allowed between a transformed output and LightGBM's. */
export const NORMAL_TOLERANCE = LIBM_EXACT ? 0 : 1e-15;
