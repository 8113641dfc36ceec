# Cross build for arm64 (Graviton) Linux on a Debian amd64 machine: Debian's g++-aarch64-linux-gnu
# and the arm64 multiarch packages (dpkg --add-architecture arm64; libcurl4-openssl-dev:arm64 ...).
# scripts/lambda-package --arch arm64 installs them and uses this file; docs/lambda.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# With CMAKE_LIBRARY_ARCHITECTURE, find_library and find_package look in /usr/lib/aarch64-linux-gnu
# (and never in /usr/lib/x86_64-linux-gnu); the compiler finds the arm64 headers in
# /usr/include/aarch64-linux-gnu by itself; header-only packages (RapidJSON, nlohmann-json,
# CLI11) are shared by both architectures.
# Debian 12's libsimdjson-dev is not Multi-Arch: same, so its arm64 package replaces the amd64
# one (and breaks the native build); the arm64 runtime package libsimdjson14:arm64 installs beside
# it, and cmake/cross/simdjson provides the CMake package for that library and the shared header.
list(PREPEND CMAKE_PREFIX_PATH ${CMAKE_CURRENT_LIST_DIR}/../cross)
# pkg-config (FindCURL, FindOpenSSL use it) must read the arm64 .pc files, not the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
