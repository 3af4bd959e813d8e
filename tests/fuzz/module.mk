# Fuzz harnesses: each tests/fuzz/fuzz_*.c defines LLVMFuzzerTestOneInput and
# #includes the .c files it drives. Built with clang's libFuzzer under ASan and
# UBSan. `make test` runs each for FUZZ_RUNS inputs (short); `make fuzz` runs
# each for FUZZ_SECONDS.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Icommon -Iproto -I$(B)/gen -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(B)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) $(PROTO_GEN) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -MF $@.d -MT $@ -c $< -o $@.o
	clang $(FUZZ_CFLAGS) $@.o $(COMMON_SRC) $(B)/gen/keel.pb-c.c -o $@ -lmnl -lprotobuf-c -ljansson

all: $(FUZZERS)
