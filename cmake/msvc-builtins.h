// Force-included by CMakeLists.txt for MSVC only: the GCC/Clang builtins the kernels use, as plain code.
// Branch hints only change code layout, so dropping them keeps the results identical.
#pragma once
#if defined(_MSC_VER) && !defined(__clang__)
#define __builtin_expect(x, v) (x)
#define __builtin_expect_with_probability(x, v, p) (x)
#endif
