/* Where a library write to a path lands (internal), by the rule of
 * docs/FORMATS.md, the one `cp` and editors follow: a new file, or an
 * existing regular file its owner may write, is replaced; a symbolic link is
 * written through (the link stays a link); devices, FIFOs, sockets,
 * directories, read-only files and files of another user are refused. */
#ifndef US_IO_OUTPUT_TARGET_H
#define US_IO_OUTPUT_TARGET_H

#include <stdint.h>

typedef struct us_output_target {
    char *path; /* the file to replace (malloc'd): `path`, or a link's target */
    int exists; /* 1: it exists, and `mode` holds its permission bits */
    unsigned mode;
} us_output_target;

/* UNETSEG_OK with *t filled (free t->path), or UNETSEG_E_IO / UNETSEG_E_NOMEM
 * with the reason as the last error (prefixed by `who`). */
int32_t us_output_target_resolve(const char *who, const char *path, us_output_target *t);

#endif
