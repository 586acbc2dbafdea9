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
CPPFLAGS += -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L
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

# The only files that include mpi.h: transport.c (every MPI call) and main.c
# (init/finalize through transport).  Everything else is pure and goes into
# libcore.a, which the unit tests link.
APP_SRCS  := src/main.c src/master.c src/worker.c src/transport.c
CORE_SRCS := $(filter-out $(APP_SRCS),$(wildcard src/*.c))
CORE_OBJS := $(CORE_SRCS:src/%.c=$(BUILD)/%.o)
APP_OBJS  := $(APP_SRCS:src/%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS     := $(TEST_SRCS:tests/%.c=$(BUILD)/%)

.PHONY: all run test check deps unit integration clean format
.SECONDEXPANSION:
all: factorize

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcore.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

factorize: $(APP_OBJS) $(BUILD)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(APP_OBJS) $(BUILD)/libcore.a $(LDLIBS)

# Unit tests: one cmocka binary per module.  A test that drives glue code
# (master/worker) names its extra objects and --wrap flags in
# TEST_OBJS_<name> / TEST_LDFLAGS_<name>.
TEST_OBJS_test_master   = $(BUILD)/master.o
TEST_LDFLAGS_test_master =
TEST_OBJS_test_worker   = $(BUILD)/worker.o
TEST_LDFLAGS_test_worker =

$(BUILD)/tests/%.o: tests/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/test_%: $(BUILD)/tests/test_%.o $(BUILD)/libcore.a $$(TEST_OBJS_test_$$*)
	$(CC) $(CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS_test_$*) -o $@ $< $(TEST_OBJS_test_$*) $(BUILD)/libcore.a -lcmocka $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(TESTS)

run: deps factorize
	$(MPIRUN) $(MPIRUN_FLAGS) -np $(NP) ./factorize --count 999 --chunk 43

test: deps factorize unit
	@MPIRUN="$(MPIRUN)" MPIRUN_FLAGS="$(MPIRUN_FLAGS)" BUILD="$(BUILD)" tests/run_all.sh

check: test

# Debian packages: build, run and test.  apt-get only for what is missing.
DEPS_PKGS := build-essential libopenmpi-dev openmpi-bin mpich libmpich-dev \
             libgmp-dev libecm-dev libcmocka-dev coreutils pari-gp python3
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

format:
	clang-format -i src/*.c src/*.h include/*.h tests/*.c

clean:
	rm -rf $(BUILD) factorize

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
