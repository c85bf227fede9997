# A user C module for tests/memcheck.sh's firmware only (never a product
# build): the linker routes the port's calls to gc_collect_root through
# __wrap_gc_collect_root (memcheck_roots.c).
SRC_USERMOD_C += $(USERMOD_DIR)/memcheck_roots.c
LDFLAGS_USERMOD += -Wl,--wrap=gc_collect_root
