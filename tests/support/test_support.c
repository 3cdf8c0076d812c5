#include "support/test_support.h"

#include <string.h>

void assert_error_mentions(const char *needle) {
    const char *msg = unetseg_last_error();
    if (strstr(msg, needle) == NULL) {
        print_error("last error \"%s\" does not mention \"%s\"\n", msg, needle);
        fail();
    }
}

unetseg_tensor *make_tensor4(int64_t n, int64_t h, int64_t w, int64_t c, const float *values) {
    int64_t shape[4] = {n, h, w, c};
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_tensor_create(4, shape, &t));
    if (values) assert_ok(unetseg_tensor_copy_from(t, values, n * h * w * c));
    return t;
}
