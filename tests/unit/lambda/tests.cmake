# The Lambda custom runtime, API Gateway events, the example handler, the deployment package and
# the deploy files (Terraform, SAM).
agents_add_test(lambda_unit_tests LABEL unit SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/api_gateway_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/runtime_test.cpp
)
if(TARGET agents_lambda_handler)
  agents_add_test(lambda_handler_unit_tests LABEL unit
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/handler_test.cpp LIBS agents_lambda_handler)
  agents_add_test(lambda_handler_integration_tests LABEL integration
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/integration/lambda_handler_test.cpp LIBS agents_lambda_handler)
  target_compile_definitions(lambda_handler_integration_tests PRIVATE
    AGENTS_LAMBDA_BOOTSTRAP="$<TARGET_FILE:bootstrap>")
  add_dependencies(lambda_handler_integration_tests bootstrap)
endif()
if(TARGET lambda_zip)
  # The package run in an empty root (chroot) with only busybox-static: needs root.
  agents_add_test(lambda_package_tests LABEL integration
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/integration/lambda_package_test.cpp)
  target_compile_definitions(lambda_package_tests PRIVATE AGENTS_LAMBDA_ZIP="${AGENTS_LAMBDA_ZIP}")
  add_dependencies(lambda_package_tests lambda_zip)
  # The package's ELF files: glibc symbol versions, self-containment, machine.
  set(zip_arch "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|aarch64)$")
    set(zip_arch --arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()
  add_test(NAME lambda_zip_is_self_contained_for_provided_al2023
           COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_lambda_zip.py ${AGENTS_LAMBDA_ZIP} ${zip_arch})
  set_tests_properties(lambda_zip_is_self_contained_for_provided_al2023 PROPERTIES LABELS unit)
endif()
# The checker itself rejects what it must: an ELF that needs GLIBC_2.36 (arc4random), alone or
# beside the host's libc.so.6, without a bundled loader.
include(CheckCXXSymbolExists)
check_cxx_symbol_exists(arc4random stdlib.h AGENTS_HAVE_ARC4RANDOM)
if(AGENTS_HAVE_ARC4RANDOM)
  add_executable(glibc_2_36_probe ${CMAKE_CURRENT_SOURCE_DIR}/deploy/glibc_2_36_probe.cpp)
  agents_enable_warnings(glibc_2_36_probe)
  add_test(NAME lambda_zip_check_rejects_glibc_2_36
           COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_lambda_zip.py
                   --self-test $<TARGET_FILE:glibc_2_36_probe>)
  set_tests_properties(lambda_zip_check_rejects_glibc_2_36 PROPERTIES LABELS unit)
endif()
add_test(NAME deploy_terraform_and_sam_parse_and_grant_least_privilege
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/deploy/check_deploy.py)
set_tests_properties(deploy_terraform_and_sam_parse_and_grant_least_privilege PROPERTIES LABELS unit TIMEOUT 120)
