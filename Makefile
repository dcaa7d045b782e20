# zcp - plain GNU make. Objects and binaries under build/.
CC ?= cc
CFLAGS ?= -O2 -g
# What the code needs to build at all; users set CFLAGS, never this.
ZCP_CFLAGS := -std=c11 -pthread -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -MMD -MP
ALL_CFLAGS = $(CFLAGS) $(ZCP_CFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
B ?= build
LIB_SRC := wire zerr mono proc net xfer tls fsio ident http httpc fhash resume evloop frameio step opts serve origin fetch hget listener door streams recv report progress
LIB_OBJ := $(LIB_SRC:%=$(B)/%.o)
SAN_OBJ := $(LIB_SRC:%=$(B)/san/%.o)
TESTS := wire zerr proc net evloop opts xfer fsio ident http httpc hget origin session conn streams fhash resume listener door step progress report recv tls
CHECK_TIMEOUT ?= 1200
# libxxhash (Debian's libxxhash-dev): XXH3-128 for --verify (SPEC W-17);
# libssl and libcrypto (libssl-dev): TLS (SPEC T), HMAC-SHA256 for the file's identity (W-15)
LIBS := -lxxhash $(shell pkg-config --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

.PHONY: all install uninstall demo check check-units check-build check-stress coverage lint trace-verify deps-check clean fuzz fuzz-merge fuzz-corpus fuzz-libfuzzer bench bench-quick mutants soak soak-hget
.SECONDARY:
all: $(B)/zcp-send $(B)/zcp-recv

$(B)/%.o: src/%.c | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/zcp-%: $(B)/zcp-%.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LIBS)

# Sanitizer build of the library, the programs and the tests (make check).
$(B)/san/%.o: src/%.c | $(B)/san
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<
$(B)/san/zcp-%: $(B)/san/zcp-%.o $(SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDFLAGS) $(LIBS)
$(TESTS:%=$(B)/san/test_%): $(B)/san/test_%: tests/test_%.c $(SAN_OBJ) | $(B)/san
	$(CC) $(ALL_CFLAGS) $(SAN) -Isrc -o $@ $< $(SAN_OBJ) $(LDFLAGS) $(LIBS) $(CHECK_LIBS)

$(B) $(B)/san $(B)/fuzz $(B)/afl:
	mkdir -p $@

# Fuzz harnesses (fuzz/): each written once as LLVMFuzzerTestOneInput, built as a
# sanitizer replay driver (make check) and for AFL++ persistent mode (make fuzz).
FUZZ_TARGETS := request response ack stream opts http httpc
FUZZ_SECONDS ?= 60
FUZZ_SRC_request := fuzz/fuzz_frame.c
FUZZ_SRC_response := fuzz/fuzz_frame.c
FUZZ_SRC_ack := fuzz/fuzz_frame.c
FUZZ_SRC_stream := fuzz/fuzz_stream.c
FUZZ_SRC_opts := fuzz/fuzz_opts.c
FUZZ_SRC_http := fuzz/fuzz_http.c
FUZZ_SRC_httpc := fuzz/fuzz_httpc.c
FUZZ_DEF_request := -DFRAME_REQUEST
FUZZ_DEF_response := -DFRAME_RESPONSE
FUZZ_DEF_ack := -DFRAME_ACK
AFL_CC ?= afl-clang-fast
AFL_OBJ := $(LIB_SRC:%=$(B)/afl/%.o)
AFL_CFLAGS := -O2 -g $(ZCP_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC := fuzz/fuzz_frame.c fuzz/fuzz_stream.c fuzz/fuzz_opts.c fuzz/fuzz_http.c fuzz/fuzz_httpc.c

$(FUZZ_TARGETS:%=$(B)/fuzz/replay_%): $(B)/fuzz/replay_%: $(SAN_OBJ) fuzz/replay.c $(wildcard fuzz/*.h) $(FUZZ_SRC) | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) $(SAN) -Isrc -Ifuzz $(FUZZ_DEF_$*) -o $@ $(FUZZ_SRC_$*) fuzz/replay.c $(SAN_OBJ) $(LIBS)
$(B)/fuzz/gen-corpus: fuzz/gen-corpus.c $(LIB_OBJ) | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(LIBS)
$(B)/afl/%.o: src/%.c | $(B)/afl
	$(AFL_CC) $(AFL_CFLAGS) -c -o $@ $<
$(FUZZ_TARGETS:%=$(B)/afl/afl_%): $(B)/afl/afl_%: $(AFL_OBJ) $(wildcard fuzz/*.h) $(FUZZ_SRC) | $(B)/afl
	$(AFL_CC) $(AFL_CFLAGS) -fsanitize=fuzzer -Isrc -Ifuzz $(FUZZ_DEF_$*) -o $@ $(FUZZ_SRC_$*) $(AFL_OBJ) $(LIBS)
$(FUZZ_TARGETS:%=$(B)/libfuzzer/lf_%): $(B)/libfuzzer/lf_%: $(wildcard fuzz/*.h) $(FUZZ_SRC) $(wildcard src/*.[ch])
	mkdir -p $(@D)
	clang $(AFL_CFLAGS) -fsanitize=fuzzer -Isrc -Ifuzz $(FUZZ_DEF_$*) -o $@ $(FUZZ_SRC_$*) $(LIB_SRC:%=src/%.c) $(LIBS)

# Benchmark (bench/): the seed experiment side by side with peers and a bare-kernel ceiling.
$(B)/bench-%: bench/%.c | $(B)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# A target that needs tools checks them first and only then builds, in a recursive make:
# a prerequisite would run in parallel with the compiles under -j.
NEED = @CC='$(CC)' sh ci/need-deps.sh
BENCH_BIN := all $(B)/bench-ceiling $(B)/bench-runner $(B)/bench-fanout
bench:
	$(NEED) bench
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	python3 bench/bench.py $(B)

bench-quick:
	$(NEED) bench
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	python3 bench/bench.py $(B) --quick

# make soak [ROUNDS=N] [SOAK_SEED=N]: --resume interrupted and continued at random
# moments, every completed file compared (tests/soak-resume.sh; not part of check)
ROUNDS ?= 50
soak: all
	bash tests/soak-resume.sh $(B) $(ROUNDS)

# make soak-hget [ROUNDS=N] [SOAK_SEED=N]: the same over HTTP, from nginx (tests/soak-hget.sh)
soak-hget: all
	bash tests/soak-hget.sh $(B) $(ROUNDS)

fuzz-corpus: $(B)/fuzz/gen-corpus
	rm -f fuzz/corpus/*/seed-* && $(B)/fuzz/gen-corpus fuzz/corpus

fuzz:
	$(NEED) fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(B)/afl/afl_%)
	@sh fuzz/run.sh $(B)/afl $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-merge: $(FUZZ_TARGETS:%=$(B)/afl/afl_%)
	@sh fuzz/merge.sh $(B)/afl $(FUZZ_TARGETS)

fuzz-libfuzzer: $(FUZZ_TARGETS:%=$(B)/libfuzzer/lf_%)

deps-check:
	$(NEED) check

check-build: $(TESTS:%=$(B)/san/test_%) $(B)/san/zcp-send $(B)/san/zcp-recv all \
	$(FUZZ_TARGETS:%=$(B)/fuzz/replay_%)

# make check T=NAME runs only the end-to-end suite tests/e2e/NAME.sh (no unit suites).
check: deps-check
	@$(MAKE) --no-print-directory check-build
	@timeout $(CHECK_TIMEOUT) sh tests/run-all.sh $(B)/san $(B) $(T); rc=$$?; \
	[ $$rc -ne 124 ] || echo "check: TIMED OUT after $(CHECK_TIMEOUT) s (CHECK_TIMEOUT)"; exit $$rc

# The Check suites and the fuzz replays only (no end-to-end suite): CI's second compiler.
check-units: deps-check
	@$(MAKE) --no-print-directory check-build
	@timeout $(CHECK_TIMEOUT) sh tests/run-all.sh $(B)/san $(B) --units

# Mutation check: each one-line mutant of tests/mutants.txt, in a scratch copy of
# the tree, must make the tests that cite its SPEC clause fail.
mutants: deps-check
	@bash tests/mutants.sh

# Coverage: all of make check on a --coverage build without sanitizers, then the
# table of src/ and "coverage: lines NN.N% branches NN.N%" (fails below the goals).
COV_B := $(B)/cov
COVERAGE_MIN_LINES ?= 96
COVERAGE_MIN_BRANCHES ?= 88
coverage:
	$(NEED) coverage
	rm -rf $(COV_B)
	@# umask 0: a test that runs a program as nobody (pipe budgets) can still write its counts
	umask 000 && $(MAKE) -s B=$(COV_B) SAN= CFLAGS='-O0 -g --coverage -DZCP_COVERAGE' LDFLAGS=--coverage check
	@sh tests/coverage.sh $(COV_B) $(COVERAGE_MIN_LINES) $(COVERAGE_MIN_BRANCHES)

# Static checks (make lint): ShellCheck, gcc -fanalyzer over src/, pyflakes; each
# checker is first shown to flag a planted defect.
LINT_CC ?= gcc
lint:
	$(NEED) lint
	@sh tests/lint.sh $(LINT_CC)

trace-verify: deps-check
	@$(MAKE) --no-print-directory all
	@bash trace/verify.sh $(B)

demo:
	$(NEED) demo
	@$(MAKE) --no-print-directory all
	@sh bench/demo.sh $(B)

# make check-stress [N=3] [TARGET=check|coverage]: TARGET N times while stress-ng keeps
# every CPU busy; each run's summary, then "check-stress: K of N passed" (fails unless K = N).
N ?= 3
TARGET ?= check
check-stress:
	$(NEED) stress
	@sh tests/check-stress.sh $(N) $(TARGET) $(MAKE) --no-print-directory B=$(B) CC='$(CC)'

# make install PREFIX=/usr/local DESTDIR=: both programs and both man pages.
PREFIX ?= /usr/local
PROGRAMS := zcp-send zcp-recv
install: all
	for p in $(PROGRAMS); do \
		install -D -m 755 $(B)/$$p $(DESTDIR)$(PREFIX)/bin/$$p && \
		install -D -m 644 man/$$p.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$p.1 || exit 1; \
	done
uninstall:
	for p in $(PROGRAMS); do \
		rm -f $(DESTDIR)$(PREFIX)/bin/$$p $(DESTDIR)$(PREFIX)/share/man/man1/$$p.1; \
	done

clean:
	rm -rf $(B)

# Header dependencies written by -MMD -MP.
-include $(wildcard $(B)/*.d $(B)/*/*.d)
