// C side of the Go matcher callback: the library calls these, they call the
// exported Go functions with the cgo.Handle that `user` carries.
#include "_cgo_export.h"

static int32_t match_trampoline(const char *name, int32_t kind, void *user) {
    return goMatch((char *)name, kind, (uintptr_t)user);
}

static void destroy_trampoline(void *user) { goRelease((uintptr_t)user); }

int32_t add_go_callback(unetseg_matcher *matcher, uintptr_t handle) {
    // The matcher owns the handle from here: destroy_trampoline runs once,
    // when the matcher is freed or at once if this call fails.
    return unetseg_matcher_callback_ex(matcher, match_trampoline, (void *)handle,
                                       destroy_trampoline);
}
