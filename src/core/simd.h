/* Wider vectors where the CPU has them, in a portable build. Functions
 * marked US_VECTOR_CLONES are compiled three times (AVX-512, AVX2 and the
 * x86-64 baseline) and the loader picks one for the running CPU (GNU
 * ifunc). The build is -std=c11, so GCC never contracts a * b + c into an
 * FMA and never reorders a sum: every clone computes bit-identical results;
 * only the width of the element-wise loops changes. */
#ifndef US_CORE_SIMD_H
#define US_CORE_SIMD_H

/* Sanitizer builds use the baseline only: ifunc resolvers run before the
 * sanitizer runtimes are up (ThreadSanitizer crashes on them). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define US_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define US_VECTOR_CLONES
#endif

/* "No dependence between iterations" for GCC's vectoriser (clang has no
 * such pragma and would warn). */
#if defined(__GNUC__) && !defined(__clang__)
#define US_IVDEP _Pragma("GCC ivdep")
#else
#define US_IVDEP
#endif

#endif
