# cmake -DSOURCE_DIR=... -DWORK_DIR=... -DCOMPILERS="g++;clang++" -DC_COMPILERS="gcc;clang"
#       -P check_headers.cmake
# Compiles every public header on its own, as a project that vendors litetrace compiles it
# with its own strict flags and -Werror: each C++ compiler given, C++17 and C++20, and
# g++'s -Wuseless-cast besides; and the C header as C99 and C11 with each C compiler. A header that warns fails the test, naming the header,
# the compiler and the standard.
set(flags -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast -Wdouble-promotion
          -Wnon-virtual-dtor -Woverloaded-virtual -Werror)
file(GLOB headers ${SOURCE_DIR}/include/litetrace/*.h)
set(failed 0)
set(checked 0)
foreach(cxx IN LISTS COMPILERS)
  set(extra)
  execute_process(COMMAND ${cxx} --version OUTPUT_VARIABLE version ERROR_QUIET)
  if(NOT version MATCHES "clang")
    set(extra -Wuseless-cast)  # g++ only
  endif()
  foreach(std c++17 c++20)
    foreach(header IN LISTS headers)
      get_filename_component(name ${header} NAME)
      set(source ${WORK_DIR}/include_${name}.cc)  # as a user's file includes it
      file(WRITE ${source} "#include <litetrace/${name}>\n")
      execute_process(COMMAND ${cxx} -std=${std} -fsyntax-only -I${SOURCE_DIR}/include ${flags} ${extra} ${source}
                      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
      math(EXPR checked "${checked} + 1")
      if(rc)
        message(SEND_ERROR "litetrace/${name} with ${cxx} -std=${std}:\n${out}")
        set(failed 1)
      endif()
    endforeach()
  endforeach()
endforeach()
# The C header as C: C99 and C11, pedantic, with the warnings that apply to C.
set(c_flags -Wall -Wextra -pedantic -Wconversion -Wsign-conversion -Wshadow -Wdouble-promotion -Wstrict-prototypes
            -Werror)
foreach(cc IN LISTS C_COMPILERS)
  foreach(std c99 c11)
    set(source ${WORK_DIR}/include_litetrace_h.c)
    file(WRITE ${source} "#include <litetrace/litetrace.h>\n")
    execute_process(COMMAND ${cc} -std=${std} -fsyntax-only -I${SOURCE_DIR}/include ${c_flags} ${source}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    math(EXPR checked "${checked} + 1")
    if(rc)
      message(SEND_ERROR "litetrace/litetrace.h as C with ${cc} -std=${std}:\n${out}")
      set(failed 1)
    endif()
  endforeach()
endforeach()
if(failed)
  message(FATAL_ERROR "a public header does not compile clean")
endif()
message(STATUS "${checked} compilations of the public headers, clean")
