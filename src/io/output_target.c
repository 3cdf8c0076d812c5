#define _XOPEN_SOURCE 700 /* realpath */
#include "io/output_target.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "a special file";
}

int32_t us_output_target_resolve(const char *who, const char *path, us_output_target *t) {
    struct stat st;
    *t = (us_output_target){NULL, 0, 0};
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT)
            return us_fail(UNETSEG_E_IO, "%s: cannot write '%s': %s", who, path, strerror(errno));
        t->path = us_malloc(strlen(path) + 1);
        if (!t->path) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", who);
        strcpy(t->path, path);
        return UNETSEG_OK; /* a new file */
    }
    if (S_ISLNK(st.st_mode)) {
        /* renaming over the link would replace the link, not the file */
        t->path = realpath(path, NULL);
        if (!t->path)
            return us_fail(UNETSEG_E_IO, "%s: '%s' is a symbolic link to nothing (%s): not replaced",
                           who, path, strerror(errno));
        if (stat(t->path, &st) != 0) {
            int32_t s = us_fail(UNETSEG_E_IO, "%s: cannot write '%s': %s", who, t->path, strerror(errno));
            free(t->path);
            t->path = NULL;
            return s;
        }
    } else {
        t->path = us_malloc(strlen(path) + 1);
        if (!t->path) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", who);
        strcpy(t->path, path);
    }
    const char *why = NULL;
    if (!S_ISREG(st.st_mode))
        why = kind_of(st.st_mode);
    else if (st.st_uid != geteuid())
        why = "owned by another user";
    else if (!(st.st_mode & S_IWUSR))
        why = "read-only (no owner write permission)";
    if (why) {
        int32_t s = us_fail(UNETSEG_E_IO, "%s: '%s' is %s%s: not replaced", who, path,
                            why, S_ISREG(st.st_mode) ? "" : ", not a regular file");
        free(t->path);
        t->path = NULL;
        return s;
    }
    t->exists = 1;
    t->mode = (unsigned)(st.st_mode & 07777);
    return UNETSEG_OK;
}
