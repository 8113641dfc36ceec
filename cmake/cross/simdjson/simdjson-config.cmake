# simdjson for a cross build (cmake/toolchains/aarch64-linux-gnu.cmake): the target's runtime
# library from the multiarch directory (libsimdjson14:<arch>) and Debian's header, which is the
# same for every architecture (simdjson dispatches on the CPU at run time).
set(_simdjson_dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
find_file(simdjson_LIBRARY libsimdjson.so.14 PATHS ${_simdjson_dir} NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
find_path(simdjson_INCLUDE_DIR simdjson.h PATHS /usr/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT simdjson_LIBRARY OR NOT simdjson_INCLUDE_DIR)
  set(simdjson_FOUND FALSE)
  set(simdjson_NOT_FOUND_MESSAGE
      "needs ${_simdjson_dir}/libsimdjson.so.14 (libsimdjson14:<arch>) and /usr/include/simdjson.h (libsimdjson-dev)")
  return()
endif()
if(NOT TARGET simdjson::simdjson)
  add_library(simdjson::simdjson SHARED IMPORTED)
  set_target_properties(simdjson::simdjson PROPERTIES IMPORTED_LOCATION ${simdjson_LIBRARY}
                        IMPORTED_SONAME libsimdjson.so.14 INTERFACE_INCLUDE_DIRECTORIES ${simdjson_INCLUDE_DIR})
endif()
set(simdjson_FOUND TRUE)
