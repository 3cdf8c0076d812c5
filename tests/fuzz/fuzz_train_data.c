/* libFuzzer target: the training-data loader of `unetseg train --data
 * D.safetensors` (examples/cli/cmd_train.c: cli_train_load), then the batch
 * gathering of the training loop (train_loop.c: cli_train_gather) over every
 * sample, as training and evaluation do. Issue 16 found the loader trusting
 * `images` and `masks` to agree (a SIGSEGV with 2000 images and 1 mask).
 * The first 2 bytes are the settings, the rest is the file:
 *   [0]  --classes: 0 not given, else 1 + [0] % 4
 *   [1]  bit 0: --flip; bits 1..3: batch size - 1
 * The bytes go to a memfd, named by /proc/self/fd/N as --data. Nothing may
 * crash, leak or read out of bounds; loaded data has rank 4, the same N, H,
 * W in images and masks, and K == --classes when given. */
#define _GNU_SOURCE /* memfd_create */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "train.h"

#define FUZZ_TRAIN_HEADER 2
#define FUZZ_TRAIN_MAX_FILE (1 << 20)

/* The loader reports every refused file on stderr: -close_fd_mask=2 (see
 * fuzz_images.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static char quiet[] = "-close_fd_mask=2", *args[256];
    if (*argc < 1 || *argc > 250) return 0;
    args[0] = (*argv)[0];
    args[1] = quiet;
    memcpy(args + 2, *argv + 1, (size_t)(*argc - 1) * sizeof *args);
    *argv = args;
    args[++*argc] = NULL;
    return 0;
}

/* Gather every sample of the data in batches of `batch`, order reversed,
 * augmented: images and masks, or the images alone (as recalibration does). */
static void gather_all(const train_data *d, long batch, int flip) {
    const cli_augment aug = {.flip = flip, .jitter = {0.2, 0.2, 0.2}, .scale = 255, .seed = 7};
    const long n = d->n;
    long *order = malloc((size_t)n * sizeof *order);
    if (!order) abort();
    for (long i = 0; i < n; i++) order[i] = n - 1 - i;
    for (long b = 0; b < n; b += batch) {
        unetseg_tensor *x = NULL, *y = NULL;
        long size = n - b < batch ? n - b : batch;
        if (cli_train_gather(d, order, b, size, &aug, b, &x, b % 2 ? NULL : &y) != UNETSEG_OK) abort();
        int64_t xs[4], ys[4];
        if (unetseg_tensor_shape(x, xs, 4) != UNETSEG_OK || xs[0] != size) abort();
        if (b % 2 == 0 && (unetseg_tensor_shape(y, ys, 4) != UNETSEG_OK || ys[0] != size)) abort();
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
    }
    free(order);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (size < FUZZ_TRAIN_HEADER || size - FUZZ_TRAIN_HEADER > FUZZ_TRAIN_MAX_FILE) return 0;
    if (fd < 0) {
        if ((fd = memfd_create("fuzz_train_data", 0)) < 0) abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    const size_t n = size - FUZZ_TRAIN_HEADER;
    if (ftruncate(fd, 0) != 0 || (n && pwrite(fd, data + FUZZ_TRAIN_HEADER, n, 0) != (ssize_t)n)) abort();

    train_options a = {0};
    a.data = path;
    a.model.classes = data[0] ? 1 + data[0] % 4 : 0;
    const int flip = data[1] & 1;
    const long batch = 1 + (data[1] >> 1 & 7);
    train_data d;
    if (cli_train_load(&a, &d) != CLI_EXIT_OK) {
        if (d.images || d.masks || d.n) abort(); /* failure leaves nothing */
        return 0;
    }
    int64_t is[4], ms[4];
    int32_t ir = 0, mr = 0;
    if (unetseg_tensor_rank(d.images, &ir) || unetseg_tensor_rank(d.masks, &mr) || ir != 4 || mr != 4 ||
        unetseg_tensor_shape(d.images, is, 4) || unetseg_tensor_shape(d.masks, ms, 4) || is[0] != ms[0] ||
        is[1] != ms[1] || is[2] != ms[2] || (a.model.classes && ms[3] != a.model.classes) ||
        d.n != is[0] || d.h != is[1] || d.w != is[2] || d.c != is[3] || d.classes != ms[3])
        abort();
    gather_all(&d, batch, flip);
    train_data_free(&d);
    return 0;
}
