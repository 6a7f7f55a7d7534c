# capsule build. `make` builds everything into build/; `make SAN=1` builds the
# same tree with AddressSanitizer + UndefinedBehaviorSanitizer into build-san/.
# WERROR=1 turns warnings into errors (scripts/test, developers); B=DIR builds
# into another directory (`make CC=clang B=build-clang`); `make analyze` runs
# gcc's static analyzer into build-analyzer/ (docs/ANALYZER.md).
# Sources are found by folder: every src/<subsystem>/*.c goes into
# libcapsule.a; src/cli/<tool>/*.c and src/sim/*.c are the front ends.

CC ?= gcc
.DEFAULT_GOAL := all
SAN ?= 0
ifeq ($(SAN),1)
  B := build-san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT := -O1
else
  B := build
  SANFLAGS :=
  OPT := -O2
endif

# -Werror only in the developer and CI build (`make WERROR=1`, scripts/test): a
# user's plain `make` must not fail on a newer compiler's new warning.
WERROR ?= 0
WERROR_FLAG := $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS := -std=gnu11 $(OPT) -g -Wall -Wextra $(WERROR_FLAG) -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wno-missing-field-initializers -fno-strict-aliasing \
          -D_GNU_SOURCE -Isrc $(SANFLAGS) $(EXTRA_CFLAGS)
# `make CC=clang B=build-clang` (scripts/test builds it): clang ignores, rather
# than rejects, the gcc-only warning flags above.
ifneq ($(findstring clang,$(CC)),)
  CFLAGS += -Wno-unknown-warning-option
endif
LDFLAGS := $(SANFLAGS) -Wl,--as-needed $(EXTRA_LDFLAGS)

# Container start is the hot path: capsule-runtime is linked fully statically
# (no dynamic loader at each start, see docs/PERFORMANCE.md), the other tools
# take jansson, libseccomp, libcrypto and zlib statically. libcurl and
# libarchive are not linked at all: they are opened on first use
# (registry/curl_lib.h, image/archive_lib.h). Sanitizer builds link
# dynamically, as the sanitizer runtimes require.
ifeq ($(SAN),1)
  RUNTIME_LIBS := -ljansson -lseccomp -lprotobuf-c
  RUNTIME_STATIC :=
  IMAGE_LIBS := -lcrypto -lz -llzma
else
  RUNTIME_LIBS := -Wl,-Bstatic -ljansson -lseccomp -lprotobuf-c -Wl,-Bdynamic
  RUNTIME_STATIC := -static
  IMAGE_LIBS := -Wl,-Bstatic -lcrypto -lz -llzma -Wl,-Bdynamic
endif
SIMGRID_CFLAGS := $(shell pkg-config --cflags simgrid 2>/dev/null)
SIMGRID_LIBS := $(shell pkg-config --libs simgrid 2>/dev/null)

LIB_SRCS := $(sort $(shell find src -name '*.c' -not -path 'src/cli/*' -not -path 'src/sim/*'))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/rpc.pb-c.o

# checkpoint/ speaks CRIU's RPC (protobuf through libprotobuf-c). The messages
# are compiled at build time from the rpc.proto of the CRIU that runs here:
# the one scripts/deps/criu installed beside it, else Debian's libcriu-dev.
CRIU_RPC_PROTO ?= $(firstword $(wildcard /usr/local/lib/capsule/criu/share/rpc.proto \
                    /usr/include/criu/rpc.proto) /usr/local/lib/capsule/criu/share/rpc.proto)
CFLAGS += -I$(B)/gen

$(B)/gen/rpc.pb-c.c $(B)/gen/rpc.pb-c.h &: $(CRIU_RPC_PROTO)
	@test -f $< || { echo "$<: missing: run scripts/install-deps (scripts/deps/criu)" >&2; exit 1; }
	@mkdir -p $(B)/gen
	@echo "  PROTOC-C $<"
	@protoc-c --proto_path=$(dir $<) --c_out=$(B)/gen $<

$(B)/obj/gen/rpc.pb-c.o: $(B)/gen/rpc.pb-c.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

RUNTIME_SRCS := $(sort $(wildcard src/cli/runtime/*.c))
CAPSULE_SRCS := $(sort $(wildcard src/cli/capsule/*.c))
MONITOR_SRCS := $(sort $(wildcard src/cli/monitor/*.c))
VMINIT_SRCS := $(sort $(wildcard src/cli/vminit/*.c))
SIM_SRCS := $(sort $(wildcard src/sim/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))

BINS :=
ifneq ($(RUNTIME_SRCS),)
  BINS += $(B)/capsule-runtime
endif
ifneq ($(CAPSULE_SRCS),)
  BINS += $(B)/capsule
endif
ifneq ($(MONITOR_SRCS),)
  BINS += $(B)/capsule-monitor
endif
ifneq ($(VMINIT_SRCS),)
  BINS += $(B)/capsule-vminit
endif
ifneq ($(SIM_SRCS),)
  BINS += $(B)/capsule-sim
endif
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(B)/tests/helpers/%)
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

.PHONY: all clean
all: $(B)/libcapsule.a $(BINS) $(UNIT_BINS) $(HELPER_BINS) $(BENCH_BINS)

$(B)/obj/%.o: %.c | $(B)/gen/rpc.pb-c.h
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(if $(findstring src/sim/,$<),$(SIMGRID_CFLAGS)) -MMD -MP -c $< -o $@

$(B)/libcapsule.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	@echo "  AR $@"
	@ar rcs $@ $^

$(B)/capsule-runtime: $(RUNTIME_SRCS:%.c=$(B)/obj/%.o) $(B)/libcapsule.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) $(RUNTIME_STATIC) -o $@ $^ -ljansson -lseccomp -lcrypto -lprotobuf-c

$(B)/capsule: $(CAPSULE_SRCS:%.c=$(B)/obj/%.o) $(B)/libcapsule.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS) $(IMAGE_LIBS) -lm

# The per-container monitor is static like the runtime: an idle monitor's
# resident memory is then only the pages it touched (no dynamic loader, no
# shared library mapped), docs/ENGINE.md.
$(B)/capsule-monitor: $(MONITOR_SRCS:%.c=$(B)/obj/%.o) $(B)/libcapsule.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) $(RUNTIME_STATIC) -o $@ $^ -ljansson -lseccomp -lcrypto -lz -llzma -lprotobuf-c

# The pid 1 of VM containers (vm/vm.h), copied into their initramfs, where
# it runs alone: static (sanitizer builds cannot boot VMs).
$(B)/capsule-vminit: $(VMINIT_SRCS:%.c=$(B)/obj/%.o) $(B)/libcapsule.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) $(RUNTIME_STATIC) -o $@ $^ -ljansson

$(B)/capsule-sim: $(SIM_SRCS:%.c=$(B)/obj/%.o) $(B)/libcapsule.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(SIMGRID_LIBS) -ljansson -lz -lm

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/libcapsule.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS) $(IMAGE_LIBS) -lm

$(B)/tests/helpers/%: $(B)/obj/tests/helpers/%.o $(B)/libcapsule.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS) $(IMAGE_LIBS) -lm

$(B)/bench/%: $(B)/obj/bench/%.o $(B)/libcapsule.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(RUNTIME_LIBS) $(IMAGE_LIBS) -lz -lm

# gcc's static analyzer over the whole tree, warnings only (docs/ANALYZER.md).
# -O0: the analyzer then follows the source, not the optimizer's rewrite of it.
.PHONY: analyze
analyze:
	@$(MAKE) --no-print-directory B=build-analyzer SAN=0 OPT=-O0 WERROR=0 EXTRA_CFLAGS=-fanalyzer

clean:
	rm -rf build build-san build-clang build-analyzer

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the two programs, and their
# bash completion and man pages, which the hidden `gen-docs bash|man` command
# of each writes from its command table (src/cli/*/commands.c). The man pages
# are dated by the last commit (SOURCE_DATE_EPOCH), for reproducible files.
# capsule's helpers go beside it, where it looks for them (as podman's conmon
# in bin/): the per-container monitor and the VMs' guest init.
PREFIX ?= /usr/local
INSTALL_BINS := capsule capsule-runtime
INSTALL_HELPERS := capsule-monitor capsule-vminit
DOCS := $(INSTALL_BINS:%=$(B)/doc/%.1) $(INSTALL_BINS:%=$(B)/doc/%.bash)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
export SOURCE_DATE_EPOCH

$(B)/doc/%.1: $(B)/%
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	@$< gen-docs man >$@.tmp && mv $@.tmp $@

$(B)/doc/%.bash: $(B)/%
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	@$< gen-docs bash >$@.tmp && mv $@.tmp $@

.PHONY: docs install
docs: $(DOCS)

install: $(INSTALL_BINS:%=$(B)/%) $(INSTALL_HELPERS:%=$(B)/%) $(DOCS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(INSTALL_BINS:%=$(B)/%) $(INSTALL_HELPERS:%=$(B)/%) $(DESTDIR)$(PREFIX)/bin/
	for p in $(INSTALL_BINS); do \
	  install -m 0644 $(B)/doc/$$p.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p || exit 1; \
	done
	install -m 0644 $(INSTALL_BINS:%=$(B)/doc/%.1) $(DESTDIR)$(PREFIX)/share/man/man1/

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# `make fuzz`: the libFuzzer harnesses (docs/FUZZING.md).
include tests/fuzz/fuzz.mk
