# agents_lambda_package(<executable target>
#                       [NAME <zip name>]            # default: the target's name -> <name>.zip
#                       [TARGET <custom target>]     # default: <target>_lambda_zip
#                       [EXECUTABLE_NAME <name>]     # the executable's name in bin/ (default: its file name)
#                       [OUTPUT_DIRECTORY <dir>]     # default: CMAKE_CURRENT_BINARY_DIR
#                       [LIBRARY_DIRS <dir>...]      # more places to look for shared libraries
#                       [ALL])                       # build the zip with the default build
#
# Packages an executable as a self-contained AWS Lambda deployment package for the OS-only
# runtimes (provided.al2023, provided.al2), as awslabs/aws-lambda-cpp's packager does:
#
#   bootstrap                     a /bin/sh script: runs bin/<name> through lib/<loader>
#   bin/<name>                    the executable (stripped)
#   lib/<every shared library>    everything it needs at run time, glibc included
#   lib/ld-linux-<arch>.so.<n>    the build machine's dynamic loader
#
# Because the executable runs through the bundled loader with only the bundled library path,
# the glibc of the machine Lambda runs on (2.34 on Amazon Linux 2023) does not matter: a Debian
# 12 build (glibc 2.36) runs there unchanged. The zip target's AGENTS_LAMBDA_ZIP_FILE property
# names the zip. Needs `zip` and binutils' objdump (CMAKE_OBJDUMP); docs/lambda.md.
include_guard(GLOBAL)

set(_AGENTS_LAMBDA_PACKAGER "${CMAKE_CURRENT_LIST_DIR}/agents_lambda_packager.cmake")

function(agents_lambda_package target)
  cmake_parse_arguments(ARG "ALL" "NAME;TARGET;EXECUTABLE_NAME;OUTPUT_DIRECTORY" "LIBRARY_DIRS" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "agents_lambda_package: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "agents_lambda_package: ${target} is not a target")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET ${target}_lambda_zip)
  endif()
  if(NOT ARG_EXECUTABLE_NAME)
    set(ARG_EXECUTABLE_NAME $<TARGET_FILE_NAME:${target}>)
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  find_program(AGENTS_ZIP_PROGRAM zip)
  if(NOT AGENTS_ZIP_PROGRAM)
    message(FATAL_ERROR "agents_lambda_package: `zip` not found (Debian: apt-get install zip)")
  endif()
  set(objdump ${CMAKE_OBJDUMP})
  if(NOT objdump)
    find_program(objdump NAMES objdump REQUIRED)
  endif()
  # The multiarch directory of the target (cross builds: /usr/lib/aarch64-linux-gnu).
  set(dirs ${ARG_LIBRARY_DIRS})
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(APPEND dirs /lib/${CMAKE_LIBRARY_ARCHITECTURE} /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
  endif()
  string(REPLACE ";" "|" dirs "${dirs}")  # survives add_custom_command's list handling
  set(strip ${CMAKE_STRIP})

  set(zip ${ARG_OUTPUT_DIRECTORY}/${ARG_NAME}.zip)
  set(stage ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}-lambda-stage)
  add_custom_command(
    OUTPUT ${zip}
    COMMAND ${CMAKE_COMMAND} -DEXECUTABLE=$<TARGET_FILE:${target}> -DEXECUTABLE_NAME=${ARG_EXECUTABLE_NAME}
            -DZIP=${zip} -DSTAGE=${stage} -DZIP_PROGRAM=${AGENTS_ZIP_PROGRAM} -DOBJDUMP=${objdump}
            -DSTRIP=${strip} -DLIBRARY_DIRS=${dirs} -P ${_AGENTS_LAMBDA_PACKAGER}
    DEPENDS ${target} ${_AGENTS_LAMBDA_PACKAGER}
    COMMENT "Packaging ${target} with its shared libraries and loader as ${zip}"
    VERBATIM)
  if(ARG_ALL)
    add_custom_target(${ARG_TARGET} ALL DEPENDS ${zip})
  else()
    add_custom_target(${ARG_TARGET} DEPENDS ${zip})
  endif()
  set_target_properties(${ARG_TARGET} PROPERTIES AGENTS_LAMBDA_ZIP_FILE ${zip})
endfunction()
