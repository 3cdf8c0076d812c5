/* The bytes of an untrusted image file, checked before stb_image decodes
 * them: the CLI takes PNG, JPEG and BMP only, and refuses the structures
 * that make Debian 12's stb_image 2.27 read or write out of bounds or
 * reserve absurd memory (found by tests/fuzz/fuzz_images.c). */
#ifndef CLI_IMAGE_BYTES_H
#define CLI_IMAGE_BYTES_H

#include <stddef.h>

/* NULL if stb may decode these bytes, else what is wrong (for a message). */
const char *cli_image_bytes_problem(const unsigned char *p, size_t n);

#endif
