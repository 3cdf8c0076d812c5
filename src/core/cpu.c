/* CPU feature detection and the kernel variant in use. */
#include "core/cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[] = {"blas", "avx2", "avx512"};
_Static_assert(sizeof isa_names / sizeof *isa_names == US_ISA_COUNT, "one name per us_isa");

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic int selected = US_ISA_BLAS;

us_isa us_cpu_best_isa(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    /* libgcc's checks include the OS's support for the wider register state */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return US_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return US_ISA_AVX2;
#endif
    return US_ISA_BLAS;
}

static us_isa lowered(us_isa want) {
    us_isa best = us_cpu_best_isa();
    return want < best ? want : best;
}

static void select_once(void) {
    us_isa isa = us_cpu_best_isa();
    const char *env = getenv("UNETSEG_ISA");
    for (int i = 0; env && i < US_ISA_COUNT; i++)
        if (strcmp(env, isa_names[i]) == 0) isa = lowered((us_isa)i);
    atomic_store(&selected, isa);
}

us_isa us_cpu_isa(void) {
    pthread_once(&once, select_once);
    return (us_isa)atomic_load(&selected);
}

const char *us_isa_name(us_isa isa) {
    return isa >= 0 && isa < US_ISA_COUNT ? isa_names[isa] : "unknown";
}

us_isa us_cpu_force_isa(us_isa isa) {
    pthread_once(&once, select_once);
    atomic_store(&selected, lowered(isa));
    return (us_isa)atomic_load(&selected);
}
