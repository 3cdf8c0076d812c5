/* Public entry points that belong to no handle: versions, status texts,
 * the last error, and unetseg_runtime_info (what this process runs on and
 * with, in the manner of torch.__config__.show()). */
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/error.h"
#include "core/threads.h"
#include "unetseg.h"

UNETSEG_API const char *unetseg_version_string(void) { return US_VERSION_STRING; }

UNETSEG_API int32_t unetseg_abi_version(void) { return UNETSEG_ABI_VERSION; }

UNETSEG_API int32_t unetseg_version_number(void) { return UNETSEG_VERSION_NUMBER; }

UNETSEG_API const char *unetseg_last_error(void) { return us_last_error(); }

UNETSEG_API const char *unetseg_status_string(int32_t status) {
    switch (status) {
    case UNETSEG_OK: return "ok";
    case UNETSEG_E_INVALID_ARG: return "invalid argument";
    case UNETSEG_E_NOMEM: return "out of memory";
    case UNETSEG_E_SHAPE: return "shape mismatch";
    case UNETSEG_E_NOT_FOUND: return "not found";
    case UNETSEG_E_NAME_EXISTS: return "name exists";
    case UNETSEG_E_STATE: return "wrong state";
    case UNETSEG_E_IO: return "i/o error";
    case UNETSEG_E_FORMAT: return "malformed file";
    case UNETSEG_E_NO_MATCH: return "no layer matches";
    case UNETSEG_E_SYNTAX: return "syntax error";
    case UNETSEG_E_GRAPH: return "invalid graph";
    case UNETSEG_E_UNSUPPORTED: return "unsupported";
    case UNETSEG_E_NUMERIC: return "non-finite value";
    default: return "unknown status";
    }
}

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
