/* Every input under tests/fuzz/regressions/<target>/ once crashed, leaked,
 * hung or exhausted memory. Replay each through its fuzz target's own code
 * (the harnesses are included below under other names; they abort() on a
 * broken invariant), then check the fixed behaviour of each finding. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/test_support.h"

#define LLVMFuzzerTestOneInput fuzz_safetensors_one
#include "fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_graph_text_one
#include "fuzz/fuzz_graph_text.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerInitialize fuzz_matcher_init
#define LLVMFuzzerTestOneInput fuzz_matcher_one
#include "fuzz/fuzz_matcher.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerInitialize fuzz_images_init
#define LLVMFuzzerTestOneInput fuzz_images_one
#include "fuzz/fuzz_images.c" /* with examples/cli/images.c, folder_data.c */
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize

#include "io/safetensors.h"
#include "io/graph_text.h"

#define REGRESSIONS "tests/fuzz/regressions/"

/* Contents of a file (NUL-appended; *size excludes the NUL). */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) assert_non_null(data = realloc(data, cap = 2 * cap + 8192));
        size_t got = fread(data + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    fclose(f);
    data[n] = '\0';
    *size = n;
    return data;
}

/* Run every file of REGRESSIONS<target> through `one`; returns the count. */
static int replay(const char *target, int (*one)(const uint8_t *, size_t)) {
    char dir[256], path[512];
    snprintf(dir, sizeof dir, REGRESSIONS "%s", target);
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0; /* no regressions for this target yet */
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        char *data = slurp(path, &size);
        print_message("replay %s\n", path);
        assert_int_equal(one((const uint8_t *)data, size), 0);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void replay_all(void **state) {
    (void)state;
    int n = replay("fuzz_safetensors", fuzz_safetensors_one) +
            replay("fuzz_graph_text", fuzz_graph_text_one);
    assert_int_equal(fuzz_matcher_init(NULL, NULL), 0);
    n += replay("fuzz_matcher", fuzz_matcher_one);
    unetseg_model_free(model); /* fuzz_matcher.c's model */
    model = NULL;
    n += replay("fuzz_images", fuzz_images_one);
    cli_image_set_limits(CLI_IMAGE_MAX_SIDE, CLI_IMAGE_MAX_PIXELS); /* fuzz_images lowers them */
    assert_true(n >= 12);
}

/* Hostile regexes are refused before glibc's regcomp/regexec sees them. */
static void regex_refusals(void **state) {
    (void)state;
    unetseg_matcher *m = NULL;
    const char *complex[] = {"re:g+++++++++++++++++++++++++++++++++++", "re:'((a{99}){99}){99}'",
                             "re:r?????????????++++++", "re:'(((r)?)+)+'", "re:'a{20000}'"};
    for (size_t i = 0; i < sizeof complex / sizeof *complex; i++) {
        assert_status(unetseg_matcher_parse(complex[i], &m), UNETSEG_E_SYNTAX);
        assert_null(m);
        assert_error_mentions("too complex");
    }
    assert_status(unetseg_matcher_parse("re:'(.*)\\1'", &m), UNETSEG_E_SYNTAX);
    assert_error_mentions("back-references");
    assert_ok(unetseg_matcher_create(&m));
    assert_status(unetseg_matcher_regex(m, "(a|b)\\2"), UNETSEG_E_SYNTAX);
    /* ordinary patterns, brackets and escapes still compile */
    assert_ok(unetseg_matcher_regex(m, "^stage[1-4]_unit[0-9]+_(conv|bn)[12]$"));
    assert_ok(unetseg_matcher_regex(m, "[]\\1[:alpha:]]{1,3}\\.x{1000}"));
    assert_ok(unetseg_matcher_regex(m, "^decoder_stage[0-4](_[0-9]+)?[ab]_(conv|bn|relu)$"));
    unetseg_matcher_free(m);
}

/* One matcher's regexes expand to 4000 nodes in all: (.?){600}q is 1802, so
 * two fit and a third is refused, in the text form (where 4 KB of them took
 * over 10 s to compile under ASan) and through the setter alike. */
static void regex_total_budget(void **state) {
    (void)state;
    unetseg_matcher *m = NULL;
    assert_ok(unetseg_matcher_parse("re:'(.?){600}q' | re:'(.?){600}q' | re:'^relu0$'", &m));
    unetseg_matcher_free(m);
    m = NULL;
    assert_status(unetseg_matcher_parse("re:'(.?){600}q' | !re:'(.?){600}q' & re:'(.?){600}q'", &m),
                  UNETSEG_E_SYNTAX);
    assert_null(m);
    assert_error_mentions("column 41");
    assert_error_mentions("4000 nodes in all");
    assert_ok(unetseg_matcher_create(&m));
    for (int i = 0; i < 2; i++) assert_ok(unetseg_matcher_regex(m, "(.?){600}q"));
    assert_status(unetseg_matcher_regex(m, "(.?){600}q"), UNETSEG_E_SYNTAX);
    assert_error_mentions("matcher_regex: bad regex '(.?){600}q': too complex together");
    assert_ok(unetseg_matcher_regex(m, "^relu0$")); /* small ones still fit */
    unetseg_matcher_free(m);
}

/* Shapes that would overflow are refused at build time, through the API too. */
static void upsampling_overflow(void **state) {
    (void)state;
    unetseg_model *m = NULL;
    char name[16], prev[16] = "data";
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 1 << 20, -1, 3));
    int32_t st = UNETSEG_OK;
    for (int i = 0; i < 8 && st == UNETSEG_OK; i++) {
        snprintf(name, sizeof name, "up%d", i);
        st = unetseg_model_add_upsampling2d(m, name, prev, 64, 64, UNETSEG_INTERP_NEAREST);
        strcpy(prev, name);
    }
    assert_status(st, UNETSEG_E_SHAPE);
    assert_error_mentions("exceeds 2^31-1");
    unetseg_model_free(m);
}

/* A description asking for more parameters than the weights file holds is
 * refused before anything is allocated, in unetseg_model_load as well. */
static void parameter_budget(void **state) {
    (void)state;
    size_t size;
    char *text = slurp(REGRESSIONS "fuzz_graph_text/conv_3gb_kernel", &size);
    unetseg_model *m = NULL;
    assert_status(us_graph_from_text(text, 1 << 24, &m), UNETSEG_E_FORMAT);
    assert_error_mentions("more parameters than the file can hold");
    assert_null(m);

    char path[] = "/tmp/unetseg_fuzz_regression_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *keys[] = {"unetseg.graph"}, *values[] = {text};
    const int64_t shape[1] = {1};
    const float one = 1.0f;
    const us_st_tensor t = {"c/bias", 1, shape, &one};
    assert_ok(us_st_write(path, &t, 1, keys, values, 1));
    assert_status(unetseg_model_load(path, &m), UNETSEG_E_FORMAT);
    assert_error_mentions("more parameters than the file can hold");
    assert_null(m);
    unlink(path);
    close(fd);
    free(text);
}

/* A fuzz_images input (6 bytes of settings, then the file) decoded as the
 * CLI does, with the CLI's own limits: 1 if it loads. */
static int image_loads(const char *path) {
    size_t size;
    char *data = slurp(path, &size);
    cli_image img = {0};
    assert_true(size >= FUZZ_IMAGES_HEADER);
    int ok = cli_image_decode(data + FUZZ_IMAGES_HEADER, size - FUZZ_IMAGES_HEADER, path,
                              data[0] & 7, &img);
    assert_true(ok ? img.px != NULL && img.w > 0 && img.h > 0 : img.px == NULL);
    cli_image_free(&img);
    free(data);
    return ok;
}

/* Every image finding is refused (by libspng, libjpeg-turbo, or before stb
 * decodes a BMP), under the CLI's own limits too (the replay runs with the
 * fuzz target's lower ones), and the formats and layouts that stb read
 * correctly still load. */
static void image_refusals(void **state) {
    (void)state;
    const char *refused[] = {"bmp_20000x20000_header_timeout",
                             "jpeg_huffman_over_256_codes_heap_overflow",
                             "jpeg_undefined_huffman_table_uninit", "png_idat_length_2gb_oom",
                             "png_empty_idat_null_plus_zero",
                             "pnm_16bit_convert_overread", "pnm_channels_5_assert",
                             "pnm_zero_rows_resize_nan"};
    const char *loads[] = {"png_gray16", "png_palette_trns", "png_interlaced", "jpeg_rgb420",
                           "jpeg_rgb444_progressive", "jpeg_cmyk", "bmp_1bit_top_down",
                           "bmp_32_bitfields"};
    char path[512];
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        snprintf(path, sizeof path, REGRESSIONS "fuzz_images/%s", refused[i]);
        assert_false(image_loads(path));
    }
    for (size_t i = 0; i < sizeof loads / sizeof *loads; i++) {
        snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_images/%s", loads[i]);
        assert_true(image_loads(path));
    }
    /* a JPEG scan cut short: stb decoded the missing bits as zeros (its UBSan
     * finding); libjpeg-turbo warns of corrupt data, which stops the decoding */
    assert_false(image_loads(REGRESSIONS "fuzz_images/jpeg_scan_cut_short_shift_by_32"));
    /* a 54-byte BMP header of 4 x 70000: within the pixel limit, past the side one */
    unsigned char bmp[54] = {'B', 'M', 54, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 4, 0, 0, 0,
                             0x70, 0x11, 0x01, 0, 1, 0, 24, 0};
    cli_image img = {0};
    assert_false(cli_image_decode(bmp, sizeof bmp, "strip.bmp", 3, &img));
    assert_null(img.px);
}

/* cli_image_read reads through cli_image_decode. */
static void image_read_file(void **state) {
    (void)state;
    size_t size;
    char *data = slurp("tests/fuzz/corpus/fuzz_images/jpeg_gray", &size);
    char path[] = "/tmp/unetseg_image_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data + FUZZ_IMAGES_HEADER, size - FUZZ_IMAGES_HEADER),
                     (ssize_t)(size - FUZZ_IMAGES_HEADER));
    close(fd);
    cli_image img = {0};
    assert_true(cli_image_read(path, 3, &img));
    assert_true(img.w == 16 && img.h == 16 && img.c == 3);
    cli_image_free(&img);
    unlink(path);
    assert_false(cli_image_read(path, 3, &img)); /* gone */
    assert_null(img.px);
    free(data);
}

/* The training pair: one-hot class masks, and the refusals. */
static void folder_pair(void **state) {
    (void)state;
    float px[4] = {0, 1, 2, 3}, x[16], y[16 * 4];
    cli_image img = {2, 2, 1, px}, mask = {2, 2, 1, px}, narrow = {1, 2, 1, px};
    assert_true(cli_folder_pair(&img, &mask, "mask.png", 4, 4, 1, 4, x, y));
    for (int p = 0; p < 16; p++) /* nearest neighbour: pixel (r, c) takes class 2 (r / 2) + c / 2 */
        for (int k = 0; k < 4; k++) assert_true(y[p * 4 + k] == (k == 2 * (p / 8) + (p % 4) / 2));
    assert_false(cli_folder_pair(&img, &mask, "mask.png", 4, 4, 1, 3, x, y)); /* index 3, 3 classes */
    assert_false(cli_folder_pair(&img, &narrow, "mask.png", 4, 4, 1, 1, x, y)); /* 1x2 mask, 2x2 image */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_all),
        cmocka_unit_test(regex_refusals),
        cmocka_unit_test(regex_total_budget),
        cmocka_unit_test(upsampling_overflow),
        cmocka_unit_test(parameter_budget),
        cmocka_unit_test(image_refusals),
        cmocka_unit_test(image_read_file),
        cmocka_unit_test(folder_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
