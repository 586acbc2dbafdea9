# factorize - build, test and benchmark.
#
#   make            build ./factorize (Open MPI's mpicc; MPI=mpich for MPICH)
#   make run        install what is missing, build, run the classic job
#   make test       install what is missing, build, run every test
#   make deps       install the Debian packages the build and tests need
#
# CC: Make defines CC by default, so `CC ?= mpicc` would do nothing; the
# MPI compiler wrapper is chosen unless CC came from the command line or the
# environment.  CI=true adds -Werror.

MPI ?= openmpi
ifeq ($(origin CC),default)
  ifeq ($(MPI),mpich)
    CC := mpicc.mpich
  else
    CC := mpicc
  endif
endif
ifeq ($(MPI),mpich)
  MPIRUN ?= mpirun.mpich
else
  MPIRUN ?= mpirun
endif

BUILD   ?= build
OPT     ?= -O2
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wconversion -Wsign-conversion \
           -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef \
           -Wno-long-long
ifeq ($(CI),true)
  WARN += -Werror
endif
# -iquote, not -I: include/sched.h must not hide the system <sched.h>
# (sched_yield, and pthread.h includes it); our headers use "quotes".
CPPFLAGS += -iquote include $(SRC_DIRS:%=-iquote %) -D_POSIX_C_SOURCE=200809L
CFLAGS  ?= $(OPT) -g
CFLAGS  += $(WARN) -MMD -MP
LDLIBS  += -lecm -lgmp -lm

# Open MPI refuses root without these; this machine has fewer cores than
# the rank counts the tests use.  Only the Makefile's own runs set them.
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
ifeq ($(MPI),mpich)
  MPIRUN_FLAGS ?=
else
  MPIRUN_FLAGS ?= --oversubscribe
endif
NP ?= 4

# The source tree is the architecture (README, "How it works"):
#   src/mpi/     the MPI layer: transport.c (the only file that calls MPI),
#                main.c, master.c (rank 0), group.c (leaders), coord.c
#                (what those two share), worker.c
#   src/core/    pure modules: CLI, input, output, blocks, progress, stats,
#                journal, replay, preflight, protocol codec, scheduler,
#                status
#   src/engine/  factor one integer (tiers, ECM, checks); knows no MPI
#   src/siqs/    the quadratic sieve, one file per phase
# The folder is the rule: src/mpi is linked into the program and, object
# by object, into the unit tests that drive it through a scripted
# transport; every other folder goes into libcore.a, which every unit
# test links and which never sees mpi.h.
SRC_DIRS  := src/mpi src/core src/engine src/siqs
APP_SRCS  := $(wildcard src/mpi/*.c)
CORE_SRCS := $(wildcard src/core/*.c src/engine/*.c src/siqs/*.c)
ALL_SRCS  := $(APP_SRCS) $(CORE_SRCS)
CORE_OBJS := $(CORE_SRCS:src/%.c=$(BUILD)/%.o)
APP_OBJS  := $(APP_SRCS:src/%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/%)
# Code that make format formats and make format-check checks.
FORMAT_FILES = $(ALL_SRCS) $(wildcard $(SRC_DIRS:%=%/*.h) include/*.h \
               tests/unit/*.c tests/bench/*.c tests/fuzz/*.c)

.PHONY: all run test check deps unit integration clean format bench-engine
.SECONDEXPANSION:
all: factorize

$(BUILD)/%.o: src/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcore.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

factorize: $(APP_OBJS) $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(APP_OBJS) $(BUILD)/libcore.a $(LDLIBS)

# Unit tests: one cmocka binary per module.  A test that drives glue code
# (master/worker) names its extra objects and --wrap flags in
# TEST_OBJS_<name> / TEST_LDFLAGS_<name>.
# (fake_file: transport's output-file calls without MPI, for worker.o)
FAKE_FILE := $(BUILD)/tests/unit/fake_file.o
TEST_OBJS_test_master   = $(BUILD)/mpi/master.o $(BUILD)/mpi/coord.o \
  $(BUILD)/mpi/worker.o $(BUILD)/mpi/coop.o $(FAKE_FILE)
TEST_WRAP_transport := transport_size transport_rank transport_wtime \
  transport_send transport_wait transport_poll transport_probe \
  transport_counters transport_abort
TEST_LDFLAGS_test_master = $(foreach f,$(TEST_WRAP_transport),-Wl,--wrap=$(f))
TEST_OBJS_test_worker   = $(BUILD)/mpi/worker.o $(BUILD)/mpi/coop.o $(FAKE_FILE)
TEST_LDFLAGS_test_worker = $(foreach f,$(TEST_WRAP_transport),-Wl,--wrap=$(f))
TEST_OBJS_test_group    = $(BUILD)/mpi/group.o $(BUILD)/mpi/coord.o \
  $(BUILD)/mpi/worker.o $(BUILD)/mpi/coop.o $(FAKE_FILE)
TEST_LDFLAGS_test_group = $(foreach f,$(TEST_WRAP_transport),-Wl,--wrap=$(f))
TEST_OBJS_test_coord    = $(BUILD)/mpi/coord.o
TEST_LDFLAGS_test_coord = -Wl,--wrap=transport_wtime
# test_engine plants SIQS refusals and bad factors at the engine/SIQS seam.
TEST_LDFLAGS_test_engine = -Wl,--wrap=siqs_factor

$(BUILD)/tests/%.o: tests/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libcore.a $$(TEST_OBJS_test_$$*)
	$(CC) $(CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS_test_$*) -o $@ $< $(TEST_OBJS_test_$*) $(BUILD)/libcore.a -lcmocka $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(TESTS)

# The engine alone, without MPI (issue 3): a standalone program linking
# libcore.a, used by tests/integration/it_engine_diff.sh and the benchmark.
$(BUILD)/bench_engine: $(BUILD)/tests/bench/bench_engine.o $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

# SIQS alone, CPU ms per call over a file (not a test): tests/bench/bench_siqs.c.
$(BUILD)/bench_siqs: $(BUILD)/tests/bench/bench_siqs.o $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

# The native tiers alone, per method (not a test): tests/bench/bench_small.c.
$(BUILD)/bench_small: $(BUILD)/tests/bench/bench_small.o $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

bench-engine: $(BUILD)/bench_engine
	@BUILD="$(BUILD)" tests/bench/bench-engine.sh

# Generated ranges (issue 16): the range engine, the per-number path, PARI/GP
# forfactored and seq | factor on the same progressions (tests/bench/).
.PHONY: bench-range
bench-range: factorize
	@BUILD="$(BUILD)" tests/bench/bench-range.sh

# rank 0's CPU per chunk against the chunk size, with --output (issue 17)
.PHONY: bench-rank0
bench-rank0: factorize
	@tests/bench/bench-rank0.sh

# The whole job against one process (issue 17): a --count range and an
# --input file to --output, -np 1/2/3, workers writing vs rank 0 writing.
.PHONY: bench-e2e
bench-e2e: factorize
	@tests/bench/bench-e2e.sh

# One S230 number on -np 1, 2, 3 (shared sieve), medians and the ratio.
.PHONY: bench-coop
bench-coop: factorize
	@BUILD="$(BUILD)" tests/bench/bench-coop.sh

run: deps factorize
	$(MPIRUN) $(MPIRUN_FLAGS) -np $(NP) ./factorize --count 999 --chunk 43

test: deps factorize unit $(BUILD)/bench_engine
	@MPIRUN="$(MPIRUN)" MPIRUN_FLAGS="$(MPIRUN_FLAGS)" BUILD="$(BUILD)" tests/run_all.sh

check: test

# A cluster in a box (issue 18): N network-namespace nodes on a bridge
# (tests/cluster/cluster.sh; root), Slurm across them
# (tests/cluster/slurm.sh).  cluster-up leaves it running for people
# (NODES=4); test-cluster brings it up, runs tests/cluster/test-cluster.sh
# (Open MPI and MPICH across nodes, --group-size node, Slurm, loss of a
# node, bad settings) and takes it down.
.PHONY: cluster-up cluster-down test-cluster
NODES ?= 4
cluster-up:
	@tests/cluster/cluster.sh up $(NODES)
	@echo 'eval "$$(tests/cluster/cluster.sh env)"; tests/cluster/cluster.sh slurm-up  # for Slurm'
cluster-down:
	@tests/cluster/cluster.sh down
test-cluster: factorize
	@tests/cluster/test-cluster.sh
# Scaling across those nodes: nodes x ranks per node x emulated link
# latency, S64 efficiency, a tbf bandwidth limit; build/bench-cluster/.
.PHONY: bench-cluster
bench-cluster: deps-bench factorize
	@BUILD="$(BUILD)" tests/bench/bench-cluster.sh
# Rank 0's cost per chunk and per byte and the workers' rates, fitted into
# the model of where one master saturates (to 16,384 ranks); the command
# to rerun after a change to rank 0.  build/bench-cluster/saturation*.
.PHONY: bench-saturation
bench-saturation: deps-bench factorize
	@BUILD="$(BUILD)" tests/bench/bench-saturation.sh

# Slurm (issue 5): a real single-node Slurm on localhost (installed and
# started by tests/slurm/local-cluster.sh, stopped afterwards unless it was
# already running), then the slurm/ scripts against it.  FZ_MPI=mpich with
# a MPI=mpich build.  deps-bench: gnuplot for slurm/plot-scaling.sh.
.PHONY: test-slurm deps-bench
test-slurm: factorize
	@FZ_MPI=$(MPI) tests/slurm/test-slurm.sh
deps-bench:
	@for p in gnuplot-nox python3-mpi4py; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$p; }; \
	done

# Scaling (issue 4): dispatch rate, efficiency on 1..MAX_NP ranks and -np
# 32, rank 0 memory, tail, the model; build/bench-scale/ (CSV, PNG, table).
.PHONY: bench-scale
bench-scale: deps-bench factorize $(BUILD)/bench_engine
	@MPIRUN="$(MPIRUN)" MPIRUN_FLAGS="$(MPIRUN_FLAGS)" BUILD="$(BUILD)" tests/bench/bench-scale.sh

# Debian packages: build, run and test.  apt-get only for what is missing.
# The tests also use: groff-base (man page check), bc and time (timings),
# procps (pgrep in the fault tests), bsdutils (script: a pseudo-terminal).
DEPS_PKGS := build-essential libopenmpi-dev openmpi-bin mpich libmpich-dev \
             libgmp-dev libecm-dev libcmocka-dev coreutils pari-gp python3 \
             groff-base bc time procps bsdutils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@missing=""; for p in $(DEPS_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# ---- Hardening tools (issue 6): asan, valgrind, fuzz, fuzz-regress, lint.
# Not part of `make test`; each finishes in minutes.  Sanitizer builds live
# in their own trees (build/asan, build/fuzz) and never mix with build/.
.PHONY: deps-tools asan valgrind fuzz fuzz-build fuzz-regress fuzz-corpus lint
TOOLS_PKGS := clang libclang-rt-14-dev valgrind cppcheck clang-tidy clang-format
deps-tools:
	@missing=""; for p in $(TOOLS_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps-tools: installing$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The binary of a non-default build tree (build/asan/factorize, and
# build/mpich/factorize from `make MPI=mpich BUILD=build/mpich ...`).
$(BUILD)/factorize: $(APP_OBJS) $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(APP_OBJS) $(BUILD)/libcore.a $(LDLIBS)

# AddressSanitizer + UBSan: unit tests with full leak checking, the MPI
# binary with detect_leaks=0 (Open MPI leaks at exit); tests/sanitize.sh.
ASAN_BUILD := build/asan
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
# SAN_SKIP: unit tests too slow under asan/valgrind (test_engine: 200 s
# bare); test_engine_small, the MPI runs and the fuzzers cover the engine.
# `make asan SAN_SKIP=` runs them all.
SAN_SKIP ?= test_engine
# Under LeakSanitizer only: test_range reaches GMP-ECM 7.0.5's own leak
# (the curve ecm() initialises is never freed; tests/lint/valgrind.supp
# names it for valgrind, which runs test_range), and ASan's fast unwinder
# stops its stacks at GMP's allocator, so no suppression can tell it from
# a leak of ours.
ASAN_LEAK_SKIP := test_range
asan:
	$(MAKE) BUILD=$(ASAN_BUILD) OPT="-O1 $(SAN_FLAGS)" unit \
	  $(if $(wildcard src/mpi/main.c),$(ASAN_BUILD)/factorize)
	@MPIRUN="$(MPIRUN)" MPIRUN_FLAGS="$(MPIRUN_FLAGS)" BUILD="$(ASAN_BUILD)" \
	  SAN_SKIP="$(SAN_SKIP) $(ASAN_LEAK_SKIP)" tests/sanitize.sh

# Valgrind memcheck over every unit test of the normal build, each with
# its seconds.  FACTORIZE_MEMCHECK=1: tests whose cost is repetition do a
# quarter of their rounds (tests/unit/memcheck.h).
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
            --suppressions=tests/lint/valgrind.supp \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
valgrind: deps-tools unit
	@pass=0; fail=0; for t in $(filter-out $(SAN_SKIP:%=$(BUILD)/%),$(TESTS)); do \
	  s=$$(date +%s); \
	  if FACTORIZE_MEMCHECK=1 $(VALGRIND) $$t >$(BUILD)/valgrind.log 2>&1; then pass=$$((pass + 1)); \
	  echo "== valgrind $$t: ok, $$(( $$(date +%s) - s )) s"; \
	  else fail=$$((fail + 1)); echo "FAIL $$t"; tail -40 $(BUILD)/valgrind.log; fi; \
	done; echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang compiles the pure modules
# itself into build/fuzz (not gcc's libcore.a).  FUZZ_SECONDS per target;
# new inputs go to build/fuzz/corpus_<t>, crashes to build/fuzz/crash-*;
# the committed seeds in tests/fuzz/corpus_<t> are only read.
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := input proto journal
FUZZ_SECONDS ?= 60
# A fixed seed makes CI's bounded run repeat; FUZZ_SEED=0 picks one at random.
FUZZ_SEED ?= 1
FUZZ_CC      ?= clang
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libcore.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libcore.a $(LDLIBS)

fuzz-build: deps-tools
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  OPT="-O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  $(FUZZ_BINS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus_$$t; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -max_len=8192 \
	    -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	    $(FUZZ_BUILD)/corpus_$$t tests/fuzz/corpus_$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log; \
	  rc=$$?; grep -E '^stat::number_of_executed_units|^stat::new_units_added|^#[0-9]+.*DONE|ERROR|SUMMARY' $(FUZZ_BUILD)/fuzz_$$t.log; \
	  if [ $$rc -ne 0 ]; then echo "FAIL fuzz_$$t (see $(FUZZ_BUILD)/fuzz_$$t.log)"; exit 1; fi; \
	done; echo "$(words $(FUZZ_TARGETS)) passed, 0 failed"

# Each committed seed and regression input once: seconds.
fuzz-regress: fuzz-build
	@pass=0; fail=0; for t in $(FUZZ_TARGETS); do \
	  if $(FUZZ_BUILD)/fuzz_$$t tests/fuzz/corpus_$$t/* >$(FUZZ_BUILD)/regress_$$t.log 2>&1; \
	  then pass=$$((pass + 1)); echo "ok   fuzz_$$t: $$(ls tests/fuzz/corpus_$$t | wc -l) inputs"; \
	  else fail=$$((fail + 1)); echo "FAIL fuzz_$$t"; tail -30 $(FUZZ_BUILD)/regress_$$t.log; fi; \
	done; echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# Regenerate the seeds (valid messages, texts, journals) with the codec.
$(BUILD)/gen_corpus: tests/fuzz/gen_corpus.c $(BUILD)/libcore.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libcore.a $(LDLIBS)
fuzz-corpus: $(BUILD)/gen_corpus
	mkdir -p $(FUZZ_TARGETS:%=tests/fuzz/corpus_%)
	$(BUILD)/gen_corpus tests/fuzz

# cppcheck and clang-tidy (.clang-tidy) over every source, LINT_JOBS at once.
LINT_JOBS ?= 2
MPI_CPPFLAGS = $(patsubst -I%,-isystem %,$(filter -I%,$(shell $(CC) --showme:compile 2>/dev/null || $(CC) -compile_info 2>/dev/null)))
lint: deps-tools
	cppcheck --quiet --std=c11 --enable=warning,style,performance,portability \
	  --error-exitcode=1 --inline-suppr --suppressions-list=tests/lint/cppcheck-suppressions.txt \
	  -Iinclude $(SRC_DIRS:%=-I%) -D_POSIX_C_SOURCE=200809L $(ALL_SRCS)
	printf '%s\n' $(ALL_SRCS) | xargs -P$(LINT_JOBS) -I{} \
	  clang-tidy --quiet {} -- $(CPPFLAGS) $(MPI_CPPFLAGS) -std=c11
	@echo "lint: clean"

# make install PREFIX=/opt/factorize [DESTDIR=/tmp/stage]: the binary and
# its man page; nothing else is read at run time.  make uninstall removes
# exactly those two files.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
.PHONY: install uninstall
install: factorize
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1"
	install -m 755 factorize "$(DESTDIR)$(BINDIR)/factorize"
	install -m 644 src/factorize.1 "$(DESTDIR)$(MANDIR)/man1/factorize.1"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/factorize" "$(DESTDIR)$(MANDIR)/man1/factorize.1"

# .clang-format decides the layout; format-check (CI) fails on any file
# that clang-format would change.
.PHONY: format-check
format:
	clang-format -i $(FORMAT_FILES)
format-check: deps-tools
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: clean"

clean:
	rm -rf $(BUILD) factorize

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
