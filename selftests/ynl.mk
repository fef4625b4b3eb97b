# SPDX-License-Identifier: GPL-2.0
# The YNL C library (tools/net/ynl: lib/ynl.c and the families of YNL_GENS, generated
# from Documentation/netlink/specs) as a static library, for programs that use
# tools/testing/selftests/net/tuntap_helpers.h or the generated rt-* APIs. The same
# steps and flags as tools/testing/selftests/net/ynl.mk and tools/net/ynl/{lib,
# generated}/Makefile, with every output under YNL_OUT: that ynl.mk builds in
# KSRC/tools/net/ynl (a shared, pristine source tree out of the kernel tree) and for
# the host's word size only.
#
# Inputs: KSRC (kernel source), YNL_GENS (families), YNL_OUT (output directory),
# KHDR_INCLUDES (uapi headers). Then
#   $(YNL_OUT)/libynl.a               the library
#   $(eval $(call ynl_lib,DIR,FLAGS))  DIR/libynl.a too, compiled with FLAGS (-m32)
#   YNL_INCLUDES                      what users compile with (generated headers included)
# The generator needs python3-yaml and python3-jsonschema (scripts/install-deps.sh).

YNL_SRC := $(KSRC)/tools/net/ynl
YNL_SPECS := $(KSRC)/Documentation/netlink/specs
YNL_TOOL := $(YNL_SRC)/pyynl/ynl_gen_c.py
# The Debian python3 that has python3-yaml and python3-jsonschema (as upstream/Makefile).
# The generator imports its lib/ from the source tree: keep Python's caches out of it.
YNL_PYTHON ?= /usr/bin/python3
YNL_GEN := PYTHONDONTWRITEBYTECODE=1 $(YNL_PYTHON) $(YNL_TOOL)
YNL_INCLUDES := -I$(YNL_SRC)/lib -I$(YNL_OUT)
YNL_GEN_HDRS := $(YNL_GENS:%=$(YNL_OUT)/%-user.h)

# Per-family flags (-include of the family's uapi header), from YNL's own list.
override UAPI_PATH := $(KSRC)/include/uapi
include $(YNL_SRC)/Makefile.deps
YNL_LIB_CFLAGS := -std=gnu11 -O2 -W -Wall -Wextra -Wno-unused-parameter -Wshadow \
	$(KHDR_INCLUDES)

$(YNL_OUT)/%-user.h: $(YNL_SPECS)/%.yaml $(YNL_TOOL)
	$(Q)mkdir -p $(@D)
	$(call msg,GEN,,$@)
	$(Q)$(YNL_GEN) --mode user --header --spec $< -o $@

$(YNL_OUT)/%-user.c: $(YNL_SPECS)/%.yaml $(YNL_TOOL)
	$(Q)mkdir -p $(@D)
	$(call msg,GEN,,$@)
	$(Q)$(YNL_GEN) --mode user --source --spec $< -o $@

.SECONDARY: $(YNL_GEN_HDRS) $(YNL_GENS:%=$(YNL_OUT)/%-user.c)

define ynl_lib
$(1)/libynl.a: $(1)/ynl.o $(YNL_GENS:%=$(1)/%-user.o)
	$$(call msg,AR,,$$@)
	$$(Q)$$(AR) rcs $$@ $$^

$(1)/ynl.o: $(YNL_SRC)/lib/ynl.c $(YNL_SRC)/lib/ynl.h $(YNL_SRC)/lib/ynl-priv.h
	$$(Q)mkdir -p $$(@D)
	$$(call msg,CC,,$$@)
	$$(Q)$$(CC) $$(YNL_LIB_CFLAGS) $(2) -c -o $$@ $$<

$(1)/%-user.o: $(YNL_OUT)/%-user.c $(YNL_OUT)/%-user.h $(YNL_SRC)/lib/ynl.h
	$$(Q)mkdir -p $$(@D)
	$$(call msg,CC,,$$@)
	$$(Q)$$(CC) $$(YNL_LIB_CFLAGS) $(2) -I$(YNL_SRC)/lib -idirafter $$(UAPI_PATH) \
		$$(CFLAGS_$$*) -c -o $$@ $$<
endef

$(eval $(call ynl_lib,$(YNL_OUT),))
