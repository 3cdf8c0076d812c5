/* The CPU's vector features and the GEMM kernel variant chosen from them
 * (internal). The choice is made once per process, from CPUID feature bits
 * (never from the CPU family or model), and may be lowered, never raised,
 * by the environment variable UNETSEG_ISA=avx512|avx2|blas (to measure or
 * compare the variants; an unknown value is ignored). */
#ifndef US_CORE_CPU_H
#define US_CORE_CPU_H

typedef enum us_isa {
    US_ISA_BLAS = 0,   /* no AVX2+FMA: every GEMM goes to OpenBLAS */
    US_ISA_AVX2 = 1,   /* unetseg's AVX2+FMA kernels */
    US_ISA_AVX512 = 2, /* unetseg's AVX-512F kernels */
    US_ISA_COUNT
} us_isa;

/* The best variant this CPU (and OS) supports. */
us_isa us_cpu_best_isa(void);
/* The variant in use: us_cpu_best_isa(), lowered by UNETSEG_ISA if set. */
us_isa us_cpu_isa(void);
/* The CPU's brand string from CPUID ("" where unknown), its family and
 * model numbers (-1 where unknown), and its vector features as
 * "avx2 fma avx512f" (those of them it has). */
void us_cpu_identify(char brand[49], int *family, int *model);
const char *us_cpu_features(void);
/* Whether UNETSEG_NO_WINOGRAD is set, sending every convolution through
 * im2col + GEMM (to measure both paths). Like UNETSEG_ISA it is read once,
 * at the first use of either: convolutions ask for every layer of every
 * pass, too often for a getenv (a scan of the whole environment). */
int us_cpu_no_winograd(void);
/* "avx512", "avx2" or "blas". */
const char *us_isa_name(us_isa isa);
/* Test hook (not exported by the shared library): use `isa` from now on,
 * capped by us_cpu_best_isa(); returns the variant now in use. Only between
 * passes: packed weights kept by models are made for the variant in use. */
us_isa us_cpu_force_isa(us_isa isa);

#endif
