// AGENTS_API marks what the library exports. A shared build (BUILD_SHARED_LIBS=ON) compiles
// with hidden visibility, so only what is marked is exported: the public functions and the
// public classes, with their vtables and typeinfo (typed errors are caught across the .so by
// their typeinfo). In a static build nothing a linker sees changes. ELF (GCC, Clang) only, as
// the library itself is.
#pragma once

#define AGENTS_API __attribute__((visibility("default")))
