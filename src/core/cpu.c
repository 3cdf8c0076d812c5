/* CPU feature detection, the kernel variant in use, and the environment
 * variables that choose kernels (read once per process). */
#include "core/cpu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[] = {"blas", "avx2", "avx512"};
_Static_assert(sizeof isa_names / sizeof *isa_names == US_ISA_COUNT, "one name per us_isa");

static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic int selected = US_ISA_BLAS;
static int no_winograd; /* UNETSEG_NO_WINOGRAD is set; written once, by select_once */

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
    no_winograd = getenv("UNETSEG_NO_WINOGRAD") != NULL;
    atomic_store(&selected, isa);
}

us_isa us_cpu_isa(void) {
    pthread_once(&once, select_once);
    return (us_isa)atomic_load(&selected);
}

int us_cpu_no_winograd(void) {
    pthread_once(&once, select_once);
    return no_winograd;
}

const char *us_isa_name(us_isa isa) {
    return isa >= 0 && isa < US_ISA_COUNT ? isa_names[isa] : "unknown";
}

us_isa us_cpu_force_isa(us_isa isa) {
    pthread_once(&once, select_once);
    atomic_store(&selected, lowered(isa));
    return (us_isa)atomic_load(&selected);
}

void us_cpu_identify(char brand[49], int *family, int *model) {
    memset(brand, 0, 49);
    *family = *model = -1;
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        /* the extended fields count only for family 15 (and model for 6) */
        unsigned base = (a >> 8) & 0xf, ext = (a >> 20) & 0xff;
        unsigned m = (a >> 4) & 0xf, ext_m = (a >> 16) & 0xf;
        *family = (int)(base == 15 ? base + ext : base);
        *model = (int)(base == 6 || base == 15 ? (ext_m << 4) + m : m);
    }
    unsigned regs[12];
    if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000004u) {
        for (unsigned leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002u + leaf, &regs[4 * leaf], &regs[4 * leaf + 1],
                        &regs[4 * leaf + 2], &regs[4 * leaf + 3]);
        memcpy(brand, regs, 48);
    }
#endif
}

const char *us_cpu_features(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    static const char *const texts[] = {"", "avx2", "fma", "avx2 fma", "avx512f", "avx2 avx512f",
                                        "fma avx512f", "avx2 fma avx512f"};
    int bits = (__builtin_cpu_supports("avx2") ? 1 : 0) | (__builtin_cpu_supports("fma") ? 2 : 0) |
               (__builtin_cpu_supports("avx512f") ? 4 : 0);
    return texts[bits];
#else
    return "";
#endif
}
