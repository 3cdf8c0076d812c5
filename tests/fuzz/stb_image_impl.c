/* stb_image, stb_image_resize and stb_image_write for build/fuzz/fuzz_images.
 * The CLI links Debian's libstb, which is built from these very headers of
 * libstb-dev; compiling them here with clang's coverage and sanitizers lets
 * libFuzzer see (and check) the decoders themselves, not just our callers. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <stb/stb_image_write.h>
