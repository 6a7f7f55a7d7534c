# libFuzzer harnesses (docs/FUZZING.md), included by the Makefile. `make fuzz`
# builds every tests/fuzz/*.c with clang into build-fuzz/<name>, over the
# library compiled with libFuzzer's coverage instrumentation, ASan and UBSan;
# scripts/fuzz runs them. Warnings are not errors here: this tree follows
# whatever clang Debian ships.
FUZZ_CC ?= clang
FUZZ_B := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Wno-missing-field-initializers -D_GNU_SOURCE \
               -Isrc -I$(B)/gen $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_B)/%)

.PHONY: fuzz fuzz-clean
fuzz: $(FUZZ_BINS)

# The library's sources include CRIU's generated RPC header (the Makefile
# makes it in $(B)/gen); no harness calls that code, so its object stays out.
$(FUZZ_B)/obj/%.o: %.c | $(B)/gen/rpc.pb-c.h
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_B)/libcapsule.a: $(LIB_SRCS:%.c=$(FUZZ_B)/obj/%.o)
	@rm -f $@
	@echo "  AR $@"
	@ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_B)/%: $(FUZZ_B)/obj/tests/fuzz/%.o $(FUZZ_B)/libcapsule.a
	@echo "  LD $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -ljansson -lseccomp -lcrypto -lz -lm

clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_B)

-include $(shell find $(FUZZ_B)/obj -name '*.d' 2>/dev/null)
