# cmake -DEXECUTABLE=... -DEXECUTABLE_NAME=... -DZIP=... -DSTAGE=... -DZIP_PROGRAM=... -DOBJDUMP=...
#       [-DSTRIP=...] [-DLIBRARY_DIRS=a|b] -P agents_lambda_packager.cmake
# The packaging step of agents_lambda_package (AgentsLambdaPackage.cmake): stages bootstrap,
# bin/<EXECUTABLE_NAME> and lib/ (every shared library the executable needs, found the way the
# loader would, and the loader itself), then zips the stage as ZIP.
cmake_minimum_required(VERSION 3.25)
foreach(var EXECUTABLE EXECUTABLE_NAME ZIP STAGE ZIP_PROGRAM OBJDUMP)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "agents_lambda_packager: -D${var}= is required")
  endif()
endforeach()
string(REPLACE "|" ";" LIBRARY_DIRS "${LIBRARY_DIRS}")

# NEEDED entries, resolved through RPATH/RUNPATH, ldconfig's directories and LIBRARY_DIRS; ELF
# files of another machine (amd64 libraries in a cross build) are passed over.
set(CMAKE_GET_RUNTIME_DEPENDENCIES_PLATFORM "linux+elf")
set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL "objdump")
set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND "${OBJDUMP}")
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES "${EXECUTABLE}"
  RESOLVED_DEPENDENCIES_VAR libraries
  UNRESOLVED_DEPENDENCIES_VAR unresolved
  CONFLICTING_DEPENDENCIES_PREFIX conflicting
  DIRECTORIES ${LIBRARY_DIRS})
if(unresolved)
  message(FATAL_ERROR "agents_lambda_packager: cannot find ${unresolved} (needed by ${EXECUTABLE})")
endif()
foreach(name IN LISTS conflicting_FILENAMES)
  # The same library in two directories (/lib and /usr/lib on merged-/usr systems): one copy.
  list(GET conflicting_${name} 0 first)
  list(APPEND libraries "${first}")
endforeach()

file(REMOVE_RECURSE "${STAGE}")
file(REMOVE "${ZIP}")
file(MAKE_DIRECTORY "${STAGE}/bin" "${STAGE}/lib")

set(loader "")
foreach(library IN LISTS libraries)
  get_filename_component(name "${library}" NAME)  # the NEEDED name (a symlink's, not its target's)
  file(REAL_PATH "${library}" real)
  file(COPY_FILE "${real}" "${STAGE}/lib/${name}")
  if(name MATCHES "^ld-linux.*\\.so\\.[0-9]+$")
    set(loader "${name}")
    file(CHMOD "${STAGE}/lib/${name}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
         GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    file(CHMOD "${STAGE}/lib/${name}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
if(loader STREQUAL "")
  message(FATAL_ERROR "agents_lambda_packager: ${EXECUTABLE} needs no ld-linux loader (a static "
                      "executable?); found: ${libraries}")
endif()

file(COPY_FILE "${EXECUTABLE}" "${STAGE}/bin/${EXECUTABLE_NAME}")
if(STRIP)
  execute_process(COMMAND "${STRIP}" --strip-unneeded "${STAGE}/bin/${EXECUTABLE_NAME}" COMMAND_ERROR_IS_FATAL ANY)
endif()
file(CHMOD "${STAGE}/bin/${EXECUTABLE_NAME}" FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
     GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# Lambda execs /var/task/bootstrap with LAMBDA_TASK_ROOT=/var/task; elsewhere (a test, a
# container) the script's own directory is the root. Only POSIX sh: no dirname, no readlink.
file(WRITE "${STAGE}/bootstrap" "#!/bin/sh
# Runs bin/${EXECUTABLE_NAME} with the loader and shared libraries packaged beside it (agents_lambda_package).
root=\"\${LAMBDA_TASK_ROOT:-}\"
if [ -z \"\$root\" ]; then
  case \"\$0\" in
    */*) root=\"\${0%/*}\" ;;
    *) root=. ;;
  esac
fi
exec \"\$root/lib/${loader}\" --library-path \"\$root/lib\" \"\$root/bin/${EXECUTABLE_NAME}\" \"\$@\"
")
file(CHMOD "${STAGE}/bootstrap" FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
     WORLD_READ WORLD_EXECUTE)

execute_process(COMMAND "${ZIP_PROGRAM}" -q -r -X "${ZIP}" bootstrap bin lib WORKING_DIRECTORY "${STAGE}"
                COMMAND_ERROR_IS_FATAL ANY)
list(LENGTH libraries count)
message(STATUS "agents_lambda_packager: ${ZIP}: bin/${EXECUTABLE_NAME}, ${count} libraries, loader lib/${loader}")
