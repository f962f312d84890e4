# cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DGENERATOR=... -DCXX_COMPILER=... -DC_COMPILER=...
#       -DCXX_FLAGS=... -DREADELF=... -P run_shared.cmake
# Builds litetrace as a shared library inside a consumer project (tests/consumers/shared),
# runs a C++ program linked to it and a C program that loads it with dlopen(), and checks
# that the library reads its thread-local state at fixed offsets (the static TLS model),
# not through __tls_get_addr: its dynamic section says STATIC_TLS, and it has no
# DTPMOD64 relocation, which the dynamic model needs.
set(work ${BUILD_DIR}/consumer-shared)
file(REMOVE_RECURSE ${work})
# Built with sanitizers as litetrace was: a shared library takes their runtime from the
# program, whose C++ part (UBSan's checks of dynamic types) the C++ driver links.
set(sanitized OFF)
if(CXX_FLAGS MATCHES "-fsanitize=")
  set(sanitized ON)
endif()
set(configure ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumers/shared -B ${work}/build -G ${GENERATOR}
    -DLITETRACE_SOURCE_DIR=${SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_C_FLAGS=${CXX_FLAGS}" -DLINK_WITH_CXX_DRIVER=${sanitized})
foreach(step "${configure}" "${CMAKE_COMMAND};--build;${work}/build" "${work}/build/consumer"
        "${work}/build/consumer_dlopen")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "consumer (shared) failed at: ${step}")
  endif()
endforeach()
file(GLOB library ${work}/build/litetrace/liblitetrace.so.*.*.*)
if(NOT library)
  message(FATAL_ERROR "no liblitetrace.so.X.Y.Z in ${work}/build/litetrace")
endif()
execute_process(COMMAND ${READELF} -dW ${library} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(rc OR NOT dynamic MATCHES "\\(FLAGS\\)[^\n]*STATIC_TLS")
  message(FATAL_ERROR "liblitetrace.so's dynamic section has no STATIC_TLS flag:\n${dynamic}")
endif()
execute_process(COMMAND ${READELF} -rW ${library} OUTPUT_VARIABLE relocations RESULT_VARIABLE rc)
if(rc OR relocations MATCHES "DTPMOD")
  message(FATAL_ERROR "liblitetrace.so reads thread-local state through __tls_get_addr (DTPMOD relocations)")
endif()
message(STATUS "liblitetrace.so: STATIC_TLS, no DTPMOD relocation")
