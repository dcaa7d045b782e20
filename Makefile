# zcp - plain GNU make. Objects and binaries under build/.
CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
B ?= build
LIB_SRC := wire opts net xfer zerr fsio frameio serve fetch report
LIB_OBJ := $(LIB_SRC:%=$(B)/%.o)
SAN_OBJ := $(LIB_SRC:%=$(B)/san/%.o)
TESTS := wire opts xfer fsio session
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

.PHONY: all demo check trace-verify deps-check clean
.SECONDARY:
all: $(B)/zcp-send $(B)/zcp-recv

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(CFLAGS) -c -o $@ $<
$(B)/zcp-%: $(B)/zcp-%.o $(LIB_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS)

# Sanitizer build of the library, the programs and the tests (make check).
$(B)/san/%.o: src/%.c $(wildcard src/*.h) | $(B)/san
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<
$(B)/san/zcp-%: $(B)/san/zcp-%.o $(SAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDFLAGS)
$(B)/san/test_%: tests/test_%.c tests/testutil.h $(SAN_OBJ) | $(B)/san
	$(CC) $(CFLAGS) $(SAN) -Isrc -o $@ $< $(SAN_OBJ) $(LDFLAGS) $(CHECK_LIBS)

$(B) $(B)/san:
	mkdir -p $@

deps-check:
	@sh ci/need-deps.sh check

check: deps-check $(TESTS:%=$(B)/san/test_%) $(B)/san/zcp-send $(B)/san/zcp-recv all
	@sh tests/run-all.sh $(B)/san $(B)

trace-verify: deps-check all
	@sh trace/verify.sh $(B)

demo: all
	@sh bench/demo.sh $(B)

clean:
	rm -rf $(B)
