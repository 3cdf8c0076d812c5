# unetseg - plain Makefile. `make help` lists the targets.
VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
ABI := 1
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC ?= cc
# Debian's python3 (numpy, h5py); a pyenv python3 earlier on PATH lacks them.
PYTHON ?= /usr/bin/python3
# -fvect-cost-model=dynamic: let -O2 vectorise loops whose trip count is only
# known at run time (channel loops); the default "very cheap" model does not.
# -fno-math-errno: sqrtf and friends never set errno (nothing here reads it
# after a math call), so loops calling them vectorise (Adam's update was
# scalar: 15 scalar square roots, no vector one).
OPT ?= -O2 -fvect-cost-model=dynamic -fno-math-errno
WARN := -Wall -Wextra -Werror
CFLAGS_BASE := -std=c11 $(OPT) -g $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc
LIB_CFLAGS := $(CFLAGS_BASE) -fPIC -fvisibility=hidden -DUNETSEG_BUILDING -pthread
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
# libjansson parses and writes the safetensors JSON header (src/io/json.c).
JSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LIBS := $(BLAS_LIBS) $(JSON_LIBS) -lm -pthread
ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

DEB_PACKAGES := build-essential pkg-config libopenblas-dev libjansson-dev libcmocka-dev libstb-dev \
                libspng-dev libturbojpeg0-dev \
                python3 python3-numpy python3-h5py python3-pytest \
                clang libclang-rt-14-dev valgrind abigail-tools \
                libopenmpi-dev openmpi-bin

LIB_SRC := $(sort $(shell find src -name '*.c'))
LIB_OBJ := $(patsubst src/%.c,build/obj/%.o,$(LIB_SRC))
LIB_OBJ_ASAN := $(patsubst src/%.c,build/asan/%.o,$(LIB_SRC))
HEADERS := include/unetseg.h $(shell find src -name '*.h')

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(patsubst tests/%.c,build/tests/%,$(TEST_SRC))
TEST_BIN_ASAN := $(patsubst tests/%.c,build/tests-asan/%,$(TEST_SRC))
ST_PORTABLE_TEST := build/tests/test_safetensors_portable
TEST_SUPPORT := $(wildcard tests/support/*.c)

CLI_SRC := $(sort $(wildcard examples/cli/*.c))
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(patsubst examples/%.c,build/examples/%,$(EXAMPLE_SRC))

SONAME := libunetseg.so.$(ABI)
SHLIB := lib/libunetseg.so.$(ABI).$(VERSION_MINOR).$(VERSION_PATCH)

.DEFAULT_GOAL := all

.PHONY: bench bench-avx2 bench-deps
# Side-by-side benchmark against PyTorch and ONNX Runtime (bench/RESULTS.md,
# docs/PERFORMANCE.md); run on an idle machine. bench/run_bench.py writes the
# shared weights and inputs into build/bench/ first (bench/make_bench_weights.py).
ORT_NODE_VERSION ?= 1.31.1
build/bench/bench_unetseg: bench/bench_unetseg.c lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< lib/libunetseg.a $(LIBS)

# The machine's own read bandwidth and multiply-add rate on one thread and
# two, printed beside the scaling ratios (a shared VM's change by the minute).
build/bench/bench_machine: bench/bench_machine.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< -pthread

bench: build/bench/bench_unetseg build/bench/bench_machine
	$(PYTHON) bench/run_bench.py

# The same on an AVX-512 machine with every engine capped to AVX2 (an
# AVX2-only CPU, emulated: bench/run_bench.py, BENCH_EMULATE_AVX2).
bench-avx2: build/bench/bench_unetseg build/bench/bench_machine
	BENCH_EMULATE_AVX2=1 $(PYTHON) bench/run_bench.py

# The GEMM kernels and each convolution of the network on their own (internal
# functions: linked with the static library); tables on stdout.
.PHONY: bench-kernels
# bench_gemm adds a libxsmm column when Debian's libxsmm-dev is installed.
XSMM_BENCH := $(shell pkg-config --exists libxsmm 2>/dev/null && echo "-DBENCH_LIBXSMM $$(pkg-config --cflags libxsmm)")
XSMM_BENCH_LIBS := $(if $(XSMM_BENCH),$(shell pkg-config --libs libxsmm))
build/bench/bench_gemm: bench/bench_gemm.c lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(XSMM_BENCH) -o $@ $< lib/libunetseg.a $(XSMM_BENCH_LIBS) $(LIBS)

build/bench/bench_conv: bench/bench_conv.c lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< lib/libunetseg.a $(LIBS)

# Tiled sliding-window prediction against whole-image inference: time and
# peak RSS per row (a child process each), Unet('resnet34') with random
# weights on N x N inputs (BENCH_TILE_SIZES, default 2048; e.g. "2048 8192").
# Not part of `make bench`.
.PHONY: bench-tiles
BENCH_TILE_SIZES ?= 2048
build/bench/bench_tiles: bench/bench_tiles.c lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< lib/libunetseg.a $(LIBS)

bench-tiles: build/bench/bench_tiles
	build/bench/bench_tiles $(BENCH_TILE_SIZES)

# Training on a generated folder of N images at 512x512 (issue 13 item 3):
# peak RSS and images/s, streamed and cached, for each N of
# BENCH_STREAM_COUNTS (the folders are written once into build/bench/).
.PHONY: bench-stream
BENCH_STREAM_COUNTS ?= 200 2000
bench-stream: bin/unetseg
	$(PYTHON) bench/bench_stream.py $(BENCH_STREAM_COUNTS)

# `unetseg predict --input DIR` over BENCH_FOLDER_COUNT 256x256 images
# (written once into build/bench/folder_N/): ms per image on 1 and 2
# threads; BENCH_FOLDER_OLD=path/to/old/bin/unetseg runs an older build
# alternately with this one (a before/after claim). Needs the bench weights.
.PHONY: bench-folder
BENCH_FOLDER_COUNT ?= 100
bench-folder: bin/unetseg
	$(PYTHON) bench/bench_folder.py --count $(BENCH_FOLDER_COUNT) $(if $(BENCH_FOLDER_OLD),--old $(BENCH_FOLDER_OLD))

# Per layer, one thread against two (unetseg_model_profile): where a
# two-thread pass loses. BENCH_PROFILE="BATCH SIZE ROUNDS".
.PHONY: bench-profile
BENCH_PROFILE ?= 4 256 3
bench-profile: build/bench/bench_unetseg
	$(PYTHON) bench/profile_scaling.py $(BENCH_PROFILE)

bench-kernels: build/bench/bench_gemm build/bench/bench_conv
	build/bench/bench_gemm 20 1
	build/bench/bench_conv 20 1
	build/bench/bench_conv 20 2

# python3-torch from Debian (and libxsmm-dev, for bench_gemm's comparison
# column); onnxruntime-node (its CPU binaries ship inside
# the npm package, so no install script runs) into build/bench/node_modules.
bench-deps:
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  dpkg -s python3-torch >/dev/null 2>&1 || $$SUDO apt-get install -y -q python3-torch; \
	  dpkg -s libxsmm-dev >/dev/null 2>&1 || $$SUDO apt-get install -y -q libxsmm-dev; \
	  command -v node >/dev/null 2>&1 || $$SUDO apt-get install -y -q nodejs npm
	@mkdir -p build/bench
	@grep -qs '"version": "$(ORT_NODE_VERSION)"' build/bench/node_modules/onnxruntime-node/package.json || \
	  (cd build/bench && npm install --no-audit --no-fund --ignore-scripts --prefix . \
	    onnxruntime-node@$(ORT_NODE_VERSION))

.PHONY: all check check-asan check-python clean install uninstall deps demo help symbols-check \
        layers-check examples-ffi

all: lib/libunetseg.a $(SHLIB) lib/libunetseg.so unetseg.pc bin/unetseg $(EXAMPLE_BIN)

help:
	@echo "make            build lib/libunetseg.{a,so}, bin/unetseg, examples, unetseg.pc"
	@echo "make deps       apt-get install the Debian packages that are missing"
	@echo "make demo       build and run the demo"
	@echo "make check      build and run the test suite (and make layers-check)"
	@echo "make check-asan the same tests under AddressSanitizer + UBSan"
	@echo "make check-python-asan  the Python binding tests against the ASan + UBSan library"
	@echo "make check-tsan tests/test_threads.c, test_embed.c, test_gradient_hook.c, test_batchnorm_sync.c, test_clone.c, test_prefetch.c, test_background.c, test_profile.c under TSan (TSAN_TESTS=...)"
	@echo "make check-valgrind  the tests under valgrind memcheck (VALGRIND_TESTS=...)"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS (FUZZ_RUNS) each, FUZZ_SEED (tests/fuzz/README.md)"
	@echo "make abi-check  abidiff + export list against abi/; make abi-update"
	@echo "make bench      unetseg vs PyTorch vs ONNX Runtime (make bench-deps first); make bench-kernels"
	@echo "make bench-profile  per layer, 1 thread against 2 (BENCH_PROFILE=\"4 256 3\")"
	@echo "make bench-tiles  tiled vs whole-image prediction: time, peak RSS (BENCH_TILE_SIZES=\"2048 8192\")"
	@echo "make bench-stream training on a generated 512x512 folder: peak RSS, images/s (BENCH_STREAM_COUNTS=\"1000 10000\")"
	@echo "make bench-folder predict over a folder of 256x256 PNGs: ms per image (BENCH_FOLDER_OLD=old/bin/unetseg)"
	@echo "make examples-ffi  build and run examples/cpp, go, rust against this build (skips a missing compiler)"
	@echo "make install    PREFIX=... DESTDIR=... ; make uninstall"

build/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(BLAS_CFLAGS) $(JSON_CFLAGS) -c $< -o $@

build/asan/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(BLAS_CFLAGS) $(JSON_CFLAGS) $(ASAN) -c $< -o $@

lib/libunetseg.a: $(LIB_OBJ)
	@mkdir -p lib
	rm -f $@ && ar rcs $@ $^

build/libunetseg-asan.a: $(LIB_OBJ_ASAN)
	rm -f $@ && ar rcs $@ $^

$(SHLIB): $(LIB_OBJ) lib/unetseg.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/unetseg.map -o $@ $(LIB_OBJ) $(LIBS)

lib/libunetseg.so: $(SHLIB)
	ln -sf $(notdir $(SHLIB)) lib/$(SONAME)
	ln -sf $(SONAME) $@

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g'

unetseg.pc: unetseg.pc.in Makefile
	$(PC_SED) $< > $@

# An uninstalled unetseg.pc for the build tree: PKG_CONFIG_PATH=build/pkgconfig
# finds include/ and lib/ here (examples-ffi).
build/pkgconfig/unetseg.pc: unetseg.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(CURDIR)|g' -e 's|@LIBDIR@|$(CURDIR)/lib|g' \
	    -e 's|@INCLUDEDIR@|$(CURDIR)/include|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@

# The public constants, one `NAME VALUE` a line, for bindings to check their
# copies against (installed beside the header; tests/python/test_constants_in_sync.py).
include/unetseg_constants.txt: include/unetseg.h tests/gen/gen_constants.py
	$(PYTHON) tests/gen/gen_constants.py --output $@

# The FFI examples in C++17, Go (cgo) and Rust (rustc, no crates), built with
# pkg-config against the library just built and run; all must agree on the
# Monte-Carlo std map. A missing compiler is skipped with a message.
examples-ffi: lib/libunetseg.so build/pkgconfig/unetseg.pc include/unetseg_constants.txt
	PKG_CONFIG_PATH=$(CURDIR)/build/pkgconfig examples/ffi.sh build/ffi

# The CLI reads and writes PNG with Debian's libspng and reads JPEG with
# libjpeg-turbo (TurboJPEG); stb_image (libstb-dev) reads BMP and resizes.
STB_LIBS := $(shell pkg-config --libs stb 2>/dev/null || echo -lstb)
IMAGE_CFLAGS := $(shell pkg-config --cflags spng libturbojpeg 2>/dev/null)
IMAGE_LIBS := $(shell pkg-config --libs spng libturbojpeg 2>/dev/null || echo -lspng -lturbojpeg) $(STB_LIBS)
# Data-parallel `unetseg train` under mpirun (docs/SCALING.md): the CLI alone
# links Open MPI (examples/cli/mpi_comm.c), never the library. MPI=1 requires
# it, MPI=0 leaves it out; by default it is used when pkg-config finds ompi-c.
MPI ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c || echo MPI=1-but-no-ompi-c) -DUNETSEG_WITH_MPI
MPI_LIBS := $(shell pkg-config --libs ompi-c)
endif
bin/unetseg: $(CLI_SRC) $(wildcard examples/cli/*.h) lib/libunetseg.a
	@mkdir -p bin
	$(CC) $(CFLAGS_BASE) $(IMAGE_CFLAGS) $(MPI_CFLAGS) -o $@ $(CLI_SRC) lib/libunetseg.a $(IMAGE_LIBS) $(MPI_LIBS) $(LIBS)

# The gradient exchange of data-parallel training timed alone (docs/SCALING.md).
build/bench/bench_allreduce: bench/bench_allreduce.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(MPI_CFLAGS) -o $@ $< $(MPI_LIBS)

build/examples/%: examples/%.c lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< lib/libunetseg.a $(LIBS)

build/tests/%: tests/%.c $(TEST_SUPPORT) tests/support/test_support.h lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -Itests -o $@ $< $(TEST_SUPPORT) $(TEST_EXTRA) lib/libunetseg.a -lcmocka $(LIBS)

build/tests-asan/%: tests/%.c $(TEST_SUPPORT) tests/support/test_support.h build/libunetseg-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(ASAN) -Itests -o $@ $< $(TEST_SUPPORT) $(TEST_EXTRA) build/libunetseg-asan.a -lcmocka $(LIBS)

# Runs every test binary from the repository root (fixtures are read from
# tests/fixtures); the symbol check proves only unetseg_* is exported.
check: layers-check $(TEST_BIN) $(ST_PORTABLE_TEST) all symbols-check check-python
	@set -e; for t in $(TEST_BIN) $(ST_PORTABLE_TEST); do echo "== $$t"; $$t; done
	@echo "all tests passed"

# The safetensors tests again on the byte-by-byte F32 code that big-endian
# hosts run (this build's own copy of src/io/safetensors.c, US_ST_PORTABLE;
# ST_PORTABLE_TEST is defined near TEST_BIN, before `check` names it).
$(ST_PORTABLE_TEST): tests/test_safetensors.c src/io/safetensors.c $(TEST_SUPPORT) tests/support/test_support.h lib/libunetseg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -DUS_ST_PORTABLE -Itests -o $@ $< src/io/safetensors.c $(TEST_SUPPORT) lib/libunetseg.a -lcmocka $(LIBS)

check-asan: $(TEST_BIN_ASAN)
	@set -e; for t in $(TEST_BIN_ASAN); do echo "== $$t (asan)"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done
	@echo "all asan tests passed"

# The binding's tests run with CPython's debug allocator (PYTHONMALLOC=debug:
# guard bytes around Python's own blocks, ctypes arrays included; ~10% slower).
check-python: bin/unetseg lib/libunetseg.so
	@set -e; for t in $(sort $(wildcard tests/python/test_*.py)); do echo "== $$t"; \
	  case $$t in */test_binding*) PYTHONMALLOC=debug $(PYTHON) $$t;; *) $(PYTHON) $$t;; esac; done

# The binding's tests against build/asan-lib/libunetseg.so, the library built
# from check-asan's objects (ASan + UBSan). python3 is not instrumented, so the
# ASan runtime of $(CC) (gcc) is preloaded; PYTHONMALLOC=malloc lets ASan see
# Python's own allocations too; leaks are not reported (the interpreter keeps
# memory until it exits). Subprocesses of the tests inherit all of it.
PY_ASAN_LIB := build/asan-lib/libunetseg.so
PY_ASAN_TESTS := $(sort $(wildcard tests/python/test_binding*.py))
.PHONY: check-python-asan
$(PY_ASAN_LIB): $(LIB_OBJ_ASAN) lib/unetseg.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(ASAN) -Wl,-soname,$(SONAME) -Wl,--version-script=lib/unetseg.map -o $@ $(LIB_OBJ_ASAN) $(LIBS)

check-python-asan: $(PY_ASAN_LIB)
	@set -e; for t in $(PY_ASAN_TESTS); do echo "== $$t (asan)"; \
	  UNETSEG_LIBRARY=$(CURDIR)/$(PY_ASAN_LIB) LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 PYTHONMALLOC=malloc $(PYTHON) $$t; done
	@echo "python binding tests passed under asan"

# Layers point one way (docs/DESIGN.md section 2): the script fails, naming
# file:line, on a call, header declaration or #include that points up a
# layer, and on a public function defined outside its home; its self-test
# first proves that it finds the violations planted in tests/tools/layers_fixture.
layers-check:
	@$(PYTHON) tests/tools/layers_check.py --self-test
	@$(PYTHON) tests/tools/layers_check.py src

symbols-check: $(SHLIB)
	@bad=$$(nm -D --defined-only $(SHLIB) | awk '{print $$3}' | grep -v '^unetseg_' | grep -v '^UNETSEG_' || true); \
	if [ -n "$$bad" ]; then echo "non-unetseg symbols exported: $$bad"; exit 1; fi; \
	echo "symbols-check: only unetseg_* exported"

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	else echo "deps: all Debian packages present"; fi

# The main job: dataset, predicates, dropout insertion, training, MC dropout.
demo: all
	./examples/demo.sh demo-out

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/unetseg.h $(DESTDIR)$(INCLUDEDIR)/unetseg.h
	install -m 644 include/unetseg_constants.txt $(DESTDIR)$(INCLUDEDIR)/unetseg_constants.txt
	install -m 644 lib/libunetseg.a $(DESTDIR)$(LIBDIR)/libunetseg.a
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB))
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libunetseg.so
	$(PC_SED) unetseg.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/unetseg.pc  # for this PREFIX
	install -m 755 bin/unetseg $(DESTDIR)$(BINDIR)/unetseg
	@# a real install as root refreshes the loader's cache (not for DESTDIR staging)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/unetseg.h $(DESTDIR)$(INCLUDEDIR)/unetseg_constants.txt \
	  $(DESTDIR)$(LIBDIR)/libunetseg.a \
	  $(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libunetseg.so $(DESTDIR)$(PKGCONFIGDIR)/unetseg.pc \
	  $(DESTDIR)$(BINDIR)/unetseg

clean:
	rm -rf build lib/*.a lib/*.so* bin unetseg.pc

# ---------------------------------------------------------------- reliability
# Fuzzing (libFuzzer, clang): each tests/fuzz/fuzz_<x>.c is linked with the
# library sources compiled by clang under ASan+UBSan. `make fuzz` runs every
# target for FUZZ_SECONDS on a temporary copy of tests/fuzz/corpus/<target>
# (the committed corpus is never modified) and fails on any crash, leak,
# timeout or out-of-memory; reproducers are saved in build/fuzz/crashes/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
               -DUNETSEG_BUILDING -pthread $(FUZZ_SAN)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
LIB_OBJ_FUZZ := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN)

build/fuzz/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(BLAS_CFLAGS) $(JSON_CFLAGS) -c $< -o $@

build/libunetseg-fuzz.a: $(LIB_OBJ_FUZZ)
	rm -f $@ && ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/libunetseg-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/libunetseg-fuzz.a $(LIBS)

# fuzz_images also needs the CLI's image code, libspng and libjpeg-turbo
# (Debian's builds, not instrumented), and stb_image's BMP decoder compiled
# from Debian's header (tests/fuzz/stb_image_impl.c) so that it is covered.
FUZZ_IMAGES_SRC := examples/cli/images.c examples/cli/image_bytes.c examples/cli/folder_data.c \
                   examples/cli/paths.c examples/cli/files.c
build/fuzz/fuzz_images: tests/fuzz/fuzz_images.c $(FUZZ_IMAGES_SRC) examples/cli/images.h \
                        examples/cli/folder_data.h tests/fuzz/stb_image_impl.c build/libunetseg-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(IMAGE_CFLAGS) \
	  -Iexamples/cli -fsanitize=fuzzer -o $@ $< $(FUZZ_IMAGES_SRC) \
	  tests/fuzz/stb_image_impl.c build/libunetseg-fuzz.a $(filter-out $(STB_LIBS),$(IMAGE_LIBS)) $(LIBS)

# fuzz_train_data (the training-data loader of `train --data`, then batch
# gathering) and fuzz_cli_options (every command's option parsing) link the
# whole CLI but its main().
FUZZ_CLI_SRC := $(filter-out examples/cli/main.c,$(CLI_SRC))
FUZZ_CLI_TARGETS := build/fuzz/fuzz_train_data build/fuzz/fuzz_cli_options
$(FUZZ_CLI_TARGETS): build/fuzz/%: tests/fuzz/%.c $(FUZZ_CLI_SRC) $(wildcard examples/cli/*.h) \
                     tests/fuzz/stb_image_impl.c build/libunetseg-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(IMAGE_CFLAGS) \
	  -Iexamples/cli -fsanitize=fuzzer -o $@ $< $(FUZZ_CLI_SRC) \
	  tests/fuzz/stb_image_impl.c build/libunetseg-fuzz.a $(filter-out $(STB_LIBS),$(IMAGE_LIBS)) $(LIBS)

# FUZZ_SECONDS per target (and at most FUZZ_RUNS inputs, if given), from
# FUZZ_SEED (0: a random one, for exploring). Every run also replays the
# findings in tests/fuzz/regressions/ first, under the instrumented build.
# A fixed seed makes a run repeatable: with address randomisation off
# (setarch -R, where allowed; pointer values reach libFuzzer's comparison
# feedback) two runs from the same checkout tried the same 40,000 inputs. A
# checkout elsewhere, with another environment, drifts apart after some
# thousands, so CI (seed 1) can still reach something new; what it or
# exploring finds becomes a file in tests/fuzz/regressions/.
FUZZ_RUNS ?=
FUZZ_SEED ?= 0
FUZZ_BUDGET = -max_total_time=$(FUZZ_SECONDS) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -seed=$(FUZZ_SEED)
FUZZ_FIXED_ADDRESSES := $(shell setarch $$(uname -m) -R true 2>/dev/null && echo setarch $$(uname -m) -R)
fuzz: $(FUZZ_BIN)
	@set -e; mkdir -p build/fuzz/crashes; for t in $(FUZZ_TARGETS); do \
	  work=$$(mktemp -d); cp -R tests/fuzz/corpus/$$t/. "$$work"; \
	  dict=tests/fuzz/$$t.dict; [ -f $$dict ] && dict="-dict=$$dict" || dict=""; \
	  found=tests/fuzz/regressions/$$t; [ -d $$found ] || found=""; \
	  echo "== fuzz $$t ($(FUZZ_BUDGET))"; \
	  if ! nice $(FUZZ_FIXED_ADDRESSES) build/fuzz/$$t $(FUZZ_BUDGET) -reload=0 -timeout=10 -rss_limit_mb=2048 \
	       -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$$t- $$dict "$$work" $$found; then \
	    rm -rf "$$work"; echo "fuzz: $$t failed; reproducer in build/fuzz/crashes/"; exit 1; fi; \
	  rm -rf "$$work"; done; echo "fuzz: no crashes"
# The regression test replays inputs through the fuzz targets' own code;
# fuzz_images' with the CLI's image code and the system stb, as bin/unetseg.
FUZZ_REGRESSIONS := $(addsuffix /test_fuzz_regressions,build/tests build/tests-asan build/tests-tsan)
$(FUZZ_REGRESSIONS): $(wildcard tests/fuzz/*.c) $(FUZZ_IMAGES_SRC) $(wildcard examples/cli/*.h)
$(FUZZ_REGRESSIONS): TEST_EXTRA = -Iexamples/cli $(IMAGE_CFLAGS) $(FUZZ_IMAGES_SRC) $(IMAGE_LIBS)
# test_augment checks the CLI's augmentation and sample gathering: the whole
# CLI but its main(), as the fuzz targets link it.
AUGMENT_TESTS := build/tests/test_augment build/tests-asan/test_augment
$(AUGMENT_TESTS): $(FUZZ_CLI_SRC) $(wildcard examples/cli/*.h)
$(AUGMENT_TESTS): TEST_EXTRA = -Iexamples/cli $(IMAGE_CFLAGS) $(FUZZ_CLI_SRC) $(IMAGE_LIBS)

# The CLI's batch prefetcher (plain pthreads) is tested on its own.
PREFETCH_TESTS := $(addsuffix /test_prefetch,build/tests build/tests-asan build/tests-tsan)
$(PREFETCH_TESTS): examples/cli/prefetch.c examples/cli/prefetch.h
$(PREFETCH_TESTS): TEST_EXTRA = -Iexamples/cli examples/cli/prefetch.c
# ... and so is its background writer.
BACKGROUND_TESTS := $(addsuffix /test_background,build/tests build/tests-asan build/tests-tsan)
$(BACKGROUND_TESTS): examples/cli/background.c examples/cli/background.h
$(BACKGROUND_TESTS): TEST_EXTRA = -Iexamples/cli examples/cli/background.c

# ThreadSanitizer (gcc): the library and TSAN_TESTS rebuilt with
# -fsanitize=thread. OpenBLAS is not instrumented: its worker threads' writes
# to our buffers, and their synchronisation, are invisible to TSan and would be
# reported as false races. On the blas variant unetseg holds OpenBLAS at one
# thread during each pass (its own, instrumented threads split the work; the
# host's setting comes back after the pass); OPENBLAS_NUM_THREADS=1 also
# keeps OpenBLAS from starting its thread pool when the library is loaded.
TSAN := -fsanitize=thread -fno-omit-frame-pointer
TSAN_TESTS ?= test_threads test_embed test_gradient_hook test_batchnorm_sync test_clone test_prefetch test_background test_profile
LIB_OBJ_TSAN := $(patsubst src/%.c,build/tsan/%.o,$(LIB_SRC))

.PHONY: check-tsan check-valgrind abi-check abi-update
build/tsan/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(BLAS_CFLAGS) $(JSON_CFLAGS) $(TSAN) -c $< -o $@

build/libunetseg-tsan.a: $(LIB_OBJ_TSAN)
	rm -f $@ && ar rcs $@ $^

build/tests-tsan/%: tests/%.c $(TEST_SUPPORT) tests/support/test_support.h build/libunetseg-tsan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(TSAN) -Itests -o $@ $< $(TEST_SUPPORT) $(TEST_EXTRA) build/libunetseg-tsan.a -lcmocka $(LIBS)

check-tsan: $(addprefix build/tests-tsan/,$(TSAN_TESTS))
	@set -e; for t in $^; do echo "== $$t (tsan)"; \
	  OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" $$t; done
	@echo "all tsan tests passed"

# Valgrind memcheck over the CMocka test binaries (VALGRIND_TESTS selects some
# by name, e.g. VALGRIND_TESTS="test_threads test_matcher"); zero errors and no
# definitely/indirectly lost blocks. The whole suite takes ~30 min on 2 cores.
# Valgrind emulates FMA instructions slowly: VALGRIND_ENV="OPENBLAS_NUM_THREADS=1
# OPENBLAS_CORETYPE=Sandybridge" (AVX kernels without FMA) is ~3x faster.
VALGRIND_TESTS ?= $(patsubst tests/%.c,%,$(TEST_SRC))
VALGRIND_ENV ?= OPENBLAS_NUM_THREADS=1
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect

check-valgrind: $(addprefix build/tests/,$(VALGRIND_TESTS))
	@set -e; for t in $^; do echo "== $$t (valgrind)"; \
	  start=$$(date +%s); $(VALGRIND_ENV) $(VALGRIND) $$t; \
	  echo "   $$(( $$(date +%s) - start )) s"; done
	@echo "all valgrind tests passed"

# ABI guard (docs/ABI.md): abi/libunetseg.abi is the abidw baseline of the
# shared library (public types only), abi/symbols.txt its sorted export list.
# abi-check fails on removed or changed interfaces; added ones are compatible
# and only noted. abi-update regenerates both after a deliberate change.
ABIDW := abidw --headers-dir include --drop-private-types --no-corpus-path \
         --no-comp-dir-path --no-show-locs
EXPORTS = nm -D --defined-only $(SHLIB) | awk '{print $$3}' | LC_ALL=C sort

abi-check: $(SHLIB)
	@abidiff --no-added-syms --headers-dir2 include --drop-private-types \
	  abi/libunetseg.abi $(SHLIB) || { echo "abi-check: incompatible ABI change (see above)"; \
	  echo "  if intended: bump ABI in the Makefile (new soname), then make abi-update"; exit 1; }
	@$(EXPORTS) > build/symbols.txt; \
	removed=$$(LC_ALL=C comm -23 abi/symbols.txt build/symbols.txt); \
	added=$$(LC_ALL=C comm -13 abi/symbols.txt build/symbols.txt); \
	if [ -n "$$removed" ]; then echo "abi-check: exported symbols removed:" $$removed; exit 1; fi; \
	if [ -n "$$added" ]; then echo "abi-check: note: new exports (compatible):" $$added; \
	  echo "  run 'make abi-update' to record them in abi/"; fi; \
	echo "abi-check: no incompatible change against abi/"

abi-update: $(SHLIB)
	@mkdir -p abi
	$(ABIDW) --out-file abi/libunetseg.abi $(SHLIB)
	$(EXPORTS) > abi/symbols.txt
	@echo "abi-update: baseline of $(notdir $(SHLIB)) written to abi/"
