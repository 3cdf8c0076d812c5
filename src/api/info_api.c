/* unetseg_runtime_info: what this process runs on and with, in the manner
 * of torch.__config__.show(). */
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/threads.h"
#include "unetseg.h"

UNETSEG_API const char *unetseg_runtime_info(void) {
    static _Thread_local char text[1024];
    char brand[49];
    int family, model;
    us_cpu_identify(brand, &family, &model);
    for (int i = 47; i >= 0 && (brand[i] == ' ' || brand[i] == 0); i--) brand[i] = 0;
    const us_isa isa = us_cpu_isa(), best = us_cpu_best_isa();
    const char *env = getenv("UNETSEG_ISA");
    snprintf(text, sizeof text,
             "unetseg %s (ABI %d)\n"
             "cpu: %s (family %d, model %d), %d cores online\n"
             "cpu features: %s\n"
             "gemm kernels: %s (%s%s%s), best for this cpu: %s\n"
             "threads: %d by default (unetseg_model_set_threads)\n"
             "openblas: %s, core %s (%s)\n",
             unetseg_version_string(), unetseg_abi_version(), brand[0] ? brand : "unknown",
             family, model, us_cpu_count(), us_cpu_features()[0] ? us_cpu_features() : "none of avx2, fma, avx512f",
             us_isa_name(isa),
             isa == US_ISA_AVX512 ? "12x32 tiles" : isa == US_ISA_AVX2 ? "6x16 tiles" : "OpenBLAS",
             env ? "; UNETSEG_ISA=" : "", env ? env : "", us_isa_name(best), us_cpu_count(),
             us_blas_config(), us_blas_core_name(),
             isa == US_ISA_BLAS ? "runs every GEMM" : "used only by the blas variant");
    return text;
}
